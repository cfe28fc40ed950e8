import { createHash, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '@cip/stack';
import { keysUnder, startRedisServer, type RedisServer } from '@cip/testing/redis';
import { post } from '@cip/testing/tokens';
import { eventually } from '@cip/testing/suites';

const PREFIX = 'cip-restart:';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byHash = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it holds, for at most `withinMs`. */
describe('Redis stopped and started again under traffic (a redis-server of its own)', () => {
  let redis: RedisServer;
  let stack: Stack;
  let gateway: string;
  /** The gateway's log lines about Redis. */
  const redisLog: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    const logger = pino(
      { level: 'info' },
      {
        write(line: string) {
          const entry = JSON.parse(line) as { level: number; msg?: string };
          if (entry.msg?.includes('Redis')) redisLog.push({ level: entry.level, msg: entry.msg });
        },
      },
    );
    stack = await startStack(
      {
        NODE_ENV: 'test',
        PORT: '0',
        SUBGRAPH_PORTS_ANY: 'true',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: PREFIX,
        RESPONSE_CACHE: 'on',
      },
      logger,
    );
    gateway = stack.gatewayUrl;
  });
  afterAll(async () => {
    await stack?.stop();
    await redis?.close();
  });

  async function metric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(gateway.replace(/\/graphql$/, '/metrics'))).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }
  const redisErrors = () => metric('cip_gateway_shared_state_errors_total');
  const cacheHits = () => metric('cip_gateway_response_cache_total', 'result="hit"');

  /** What an APQ client does: the hash first; on PERSISTED_QUERY_NOT_FOUND, the hash with the document. */
  async function apqClient(query: string) {
    const first = await post(gateway, byHash(query));
    if (first.body?.errors?.[0]?.extensions?.code !== 'PERSISTED_QUERY_NOT_FOUND') return { ...first, resent: false };
    return { ...(await post(gateway, { query, ...byHash(query) })), resent: true };
  }

  /**
   * Steady traffic from three clients until `stop()`: APQ by a known hash and by new ones, a
   * cacheable read, and (first client) a write followed by the writer's own read. Every answer is
   * checked: HTTP 200, no errors, the right data.
   */
  function startTraffic() {
    const failures: unknown[] = [];
    const tally = { answered: 0, resent: 0, hit: 0, miss: 0, writes: 0 };
    let running = true;
    const known = 'query Known { partner(id: "mexico") { name } }';
    const check = (operation: string, status: number, body: any, expected: unknown): boolean => {
      const ok =
        status === 200 && body?.errors === undefined && JSON.stringify(body?.data) === JSON.stringify(expected);
      if (!ok) failures.push({ operation, status, body, expected });
      tally.answered += 1;
      return ok;
    };
    let japanVersion: number | undefined;

    const operations: Record<string, () => Promise<unknown>> = {
      async apqKnown() {
        const { status, body, resent } = await apqClient(known);
        if (resent) tally.resent += 1;
        check('apqKnown', status, body, { partner: { name: 'Mexico' } });
      },
      async apqNew() {
        const alias = `q${randomUUID().replaceAll('-', '')}`;
        const { status, body } = await apqClient(`{ ${alias}: partner(id: "france") { name } }`);
        check('apqNew', status, body, { [alias]: { name: 'France' } });
      },
      async cachedRead() {
        const response = await fetch(gateway, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ partner(id: "canada") { id name } }' }),
        });
        const cache = response.headers.get('x-response-cache');
        if (cache === 'hit') tally.hit += 1;
        if (cache === 'miss') tally.miss += 1;
        check('cachedRead', response.status, await response.json(), { partner: { id: 'canada', name: 'Canada' } });
      },
      async writeThenRead() {
        const read = '{ partner(id: "japan") { id name version } }';
        if (japanVersion === undefined) {
          const { body } = await post(gateway, { query: read });
          japanVersion = body.data.partner.version as number;
        }
        const name = `Japan ${tally.writes}`;
        const written = await post(gateway, {
          query: `mutation { updatePartner(id: "japan", expectedVersion: ${japanVersion}, input: { name: "${name}" }) { id name version } }`,
        });
        const expected = { id: 'japan', name, version: japanVersion + 1 };
        if (check('write', written.status, written.body, { updatePartner: expected })) japanVersion += 1;
        else japanVersion = undefined;
        tally.writes += 1;
        // The writer reads its own write at once, whatever the cache held before.
        const { status, body } = await post(gateway, { query: read });
        check('readOwnWrite', status, body, { partner: expected });
      },
    };
    const rounds: (keyof typeof operations)[][] = [
      ['apqKnown', 'cachedRead', 'apqNew', 'cachedRead', 'writeThenRead'],
      ['cachedRead', 'apqKnown', 'cachedRead', 'apqNew'],
      ['apqNew', 'cachedRead', 'apqKnown', 'cachedRead'],
    ];
    const clients = rounds.map(async (round) => {
      for (let turn = 0; running; turn += 1) {
        const operation = round[turn % round.length]!;
        await operations[operation]!().catch((error: unknown) => failures.push({ operation, error: String(error) }));
        // Steady, not flat out: the machine also runs the gateway, the subgraphs and Redis.
        await sleep(5);
      }
    });
    return {
      failures,
      tally,
      /** Resolves once `count` more answers have come back. */
      answered: (count: number) => {
        const target = tally.answered + count;
        return eventually(async () => tally.answered >= target, `${count} more answers`, 20_000);
      },
      async stop() {
        running = false;
        await Promise.all(clients);
      },
    };
  }

  it.each([
    ['SHUTDOWN NOSAVE', 'shutdown'],
    ['SIGKILL', 'kill'],
  ] as const)(
    'Redis stopped (%s) and started again: no failed request, errors counted, sharing resumes',
    async (_, how) => {
      const logFrom = redisLog.length;
      const traffic = startTraffic();
      try {
        // Before: the cache is in Redis and answering.
        await eventually(async () => (await keysUnder(`${PREFIX}rc:entry:`, redis.url)).length > 0, 'answers in Redis');
        await traffic.answered(10);

        const errorsBefore = await redisErrors();
        await redis.stop(how);
        await eventually(async () => (await redisErrors()) > errorsBefore, 'the gateway counts Redis errors');
        // A few seconds of traffic with Redis gone, writes included.
        const outageStarted = traffic.tally.answered;
        const writesBefore = traffic.tally.writes;
        await Promise.all([
          sleep(2_500),
          traffic.answered(20),
          eventually(async () => traffic.tally.writes > writesBefore, 'a write during the outage', 20_000),
        ]);
        const answeredDuringOutage = traffic.tally.answered - outageStarted;

        await redis.start();
        // APQ registration works again: a new document registered now is in the new Redis...
        const query = `{ q${randomUUID().replaceAll('-', '')}: partner(id: "italy") { name } }`;
        await eventually(async () => {
          await post(gateway, { query, ...byHash(query) });
          return (await keysUnder(`${PREFIX}apq:${sha256(query)}`, redis.url)).length === 1;
        }, 'an APQ registration reaches the restarted Redis');
        // ...and is served by its hash.
        const served = await post(gateway, byHash(query));
        expect(served.body.errors).toBeUndefined();
        expect(Object.values(served.body.data)).toEqual([{ name: 'Italy' }]);
        // The response cache is used again: answers stored in the (empty) restarted Redis, and hits.
        await eventually(
          async () => (await keysUnder(`${PREFIX}rc:entry:`, redis.url)).length > 0,
          'answers stored in the restarted Redis',
        );
        const hitsOnceStored = await cacheHits();
        await eventually(async () => (await cacheHits()) > hitsOnceStored, 'cache hits after the restart');
        await traffic.answered(10);

        await traffic.stop();
        expect(traffic.failures).toEqual([]);
        expect(answeredDuringOutage).toBeGreaterThanOrEqual(20);
        // The known hash was forgotten with Redis and registered again by resending; the cache answered.
        expect(traffic.tally.resent).toBeGreaterThan(0);
        expect(traffic.tally.hit).toBeGreaterThan(0);
      } finally {
        await traffic.stop();
      }
      // The outage is logged once and its end too; each failed command is counted, not logged.
      const logged = redisLog.slice(logFrom);
      expect(logged.filter((line) => line.msg.startsWith('Redis unreachable'))).toHaveLength(1);
      expect(logged.filter((line) => line.msg.startsWith('Redis reachable again'))).toHaveLength(1);
      expect(logged.filter((line) => line.level >= 40).length).toBeLessThan(5);
    },
  );
});
