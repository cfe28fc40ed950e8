import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processSigningSecret } from '@cip/core';
import { TEST_REDIS_URL, deleteKeysUnder, keysUnder, randomKeyPrefix } from '@cip/testing/redis';
import { startEntry } from '@cip/testing/processes';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';
import { eventually } from '@cip/testing/suites';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byHash = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });

interface GatewayProcess {
  /** `http://127.0.0.1:<port>/graphql` */
  readonly url: string;
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/** Starts the gateway as an OS process of its own and waits for its "gateway listening" line. */
async function startGatewayProcess(env: Record<string, string>, started: GatewayProcess[]): Promise<GatewayProcess> {
  const child = startEntry('gateway/src/main.ts', { ...env, LOG_LEVEL: 'info' });
  // Registered before it is ready, so that a start-up that fails or hangs is still cleaned up.
  const gateway = { url: '', pid: child.child.pid, stop: async () => void (await child.stop()) };
  started.push(gateway);
  const [, url] = await child.waitFor(/"url":"([^"]+)","msg":"gateway listening"/);
  gateway.url = url!;
  return gateway;
}

/** The sum of a counter's series on a gateway's `/metrics` whose labels contain `labels`. */
async function counter(gatewayUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** Polls `check` every 50 ms until it holds, for at most `withinMs`. */
describe('two gateway processes sharing one Redis (APQ, response cache, invalidation)', () => {
  const prefix = randomKeyPrefix();
  const gateways: GatewayProcess[] = [];
  let system: RunningSystem;
  let gatewayA: string;
  let gatewayB: string;
  let reader: string;
  let writer: string;

  beforeAll(async () => {
    // The subgraphs of the real system, once, in this process; their in-process gateway is not used.
    system = await startSystem();
    const env = {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      SUBGRAPH_URLS: Object.entries(system.subgraphUrls)
        .map(([name, url]) => `${name}=${url}`)
        .join(','),
      // The subgraphs of the embedded stack check this process's secret: the gateway processes sign with it.
      GATEWAY_SIGNING_SECRET: processSigningSecret(),
      ...TEST_AUTH,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      RESPONSE_CACHE: 'on',
      SUPERGRAPH_WATCH: 'false',
    };
    const [a, b] = await Promise.all([startGatewayProcess(env, gateways), startGatewayProcess(env, gateways)]);
    gatewayA = a.url;
    gatewayB = b.url;
    reader = await makeToken({ subject: 'reader' });
    writer = await makeToken({ subject: 'writer', scopes: ['partners:write'] });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await system?.stop();
    await deleteKeysUnder(prefix);
  });

  it('the two gateways are processes of their own, each listening on its own port', () => {
    const [a, b] = gateways;
    expect(new Set([a?.pid, b?.pid, process.pid]).size).toBe(3);
    expect(new URL(gatewayA).port).not.toBe(new URL(gatewayB).port);
  });

  it('a persisted query registered through gateway A is served by gateway B by its hash alone', async () => {
    // The alias makes the document, and so its hash, unique to this run.
    const query = `{ q${randomUUID().replaceAll('-', '')}: partner(id: "canada") { name } }`;
    const before = await post(gatewayB, byHash(query), reader);
    expect(before.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(gatewayA, { query, ...byHash(query) }, reader);
    expect(registered.status).toBe(200);
    expect(registered.body.errors).toBeUndefined();
    expect(Object.values(registered.body.data)).toEqual([{ name: 'Canada' }]);
    expect(await keysUnder(prefix)).toContain(`${prefix}apq:${sha256(query)}`);

    const served = await post(gatewayB, byHash(query), reader);
    expect(served.status).toBe(200);
    expect(served.body).toEqual(registered.body);
  });

  it("a mutation through gateway A invalidates gateway B's cached read of that entity", async () => {
    const read = { query: '{ partner(id: "japan") { id name version } }' };
    const ask = async (url: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${reader}` },
        body: JSON.stringify(read),
      });
      return { cache: response.headers.get('x-response-cache'), body: (await response.json()) as any };
    };

    const first = await ask(gatewayB);
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data.partner.name).toBe('Japan');
    const { version } = first.body.data.partner as { version: number };

    // Cached on B: the header says so, and so does B's own lookup counter.
    const hitsBefore = await counter(gatewayB, 'cip_gateway_response_cache_total', 'result="hit"');
    expect(await ask(gatewayB)).toEqual({ cache: 'hit', body: first.body });
    expect(await counter(gatewayB, 'cip_gateway_response_cache_total', 'result="hit"')).toBe(hitsBefore + 1);

    const mutation = `mutation { updatePartner(id: "japan", expectedVersion: ${version}, input: { name: "Nippon" }) { id name version } }`;
    const written = await post(gatewayA, { query: mutation }, writer);
    expect(written.status).toBe(200);
    expect(written.body.errors).toBeUndefined();
    expect(written.body.data.updatePartner).toEqual({ id: 'japan', name: 'Nippon', version: version + 1 });

    // B drops its copy when the invalidation published by A arrives (milliseconds).
    await eventually(async () => (await ask(gatewayB)).body.data.partner.name === 'Nippon', 'B answers fresh');
    expect(await ask(gatewayB)).toEqual({
      cache: 'hit',
      body: { data: { partner: { id: 'japan', name: 'Nippon', version: version + 1 } } },
    });
  });
});
