import { createHash, randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import {
  TEST_REDIS_URL,
  deleteKeysUnder,
  keysUnder,
  randomKeyPrefix,
  startTcpProxy,
  type TcpProxy,
} from '@cip/testing/redis';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { post } from '@cip/testing/tokens';
import { eventually } from '@cip/testing/suites';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byHash = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });
/** A document no other test registers (the alias makes its hash unique to this run). */
const freshQuery = (partner: string) => `{ q${randomUUID().replaceAll('-', '')}: partner(id: "${partner}") { name } }`;

/**
 * What an APQ client does: send the hash; on PERSISTED_QUERY_NOT_FOUND, send the hash with the
 * document (which registers it). Returns the final answer.
 */
async function apqClient(url: string, query: string) {
  const first = await post(url, byHash(query));
  if (first.body?.errors?.[0]?.extensions?.code !== 'PERSISTED_QUERY_NOT_FOUND') return first;
  return post(url, { query, ...byHash(query) });
}

async function sharedStateErrors(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('cip_gateway_shared_state_errors_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('gateway replicas sharing APQ registrations through Redis', () => {
  const prefix = randomKeyPrefix();
  let system: RunningSystem;
  let proxy: TcpProxy;
  let second: GatewayApp;
  /** Gateway A: the system's own, straight to Redis. */
  let gatewayA: string;
  /** Gateway B: a second replica over the same subgraphs, reaching the same Redis through a proxy that the test cuts. */
  let gatewayB: string;

  beforeAll(async () => {
    system = await startSystem({ REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix });
    gatewayA = system.gatewayUrl;
    proxy = await startTcpProxy();
    const subgraphUrls = Object.entries(system.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    second = await buildGateway(
      parseGatewayConfig({
        NODE_ENV: 'test',
        REDIS_URL: proxy.url,
        REDIS_KEY_PREFIX: prefix,
        SUBGRAPH_URLS: subgraphUrls,
      }),
      pino({ level: 'silent' }),
    );
    gatewayB = `${await second.listen('127.0.0.1', 0)}/graphql`;
  });
  afterAll(async () => {
    await second?.stop();
    await system?.stop();
    await proxy?.close();
    await deleteKeysUnder(prefix);
  });

  it('a persisted query registered through one replica is served by the other by its hash alone', async () => {
    const query = freshQuery('canada');
    const before = await post(gatewayB, byHash(query));
    expect(before.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(gatewayA, { query, ...byHash(query) });
    expect(registered.body.errors).toBeUndefined();
    expect(Object.values(registered.body.data)).toEqual([{ name: 'Canada' }]);
    expect(await keysUnder(prefix)).toContain(`${prefix}apq:${sha256(query)}`);

    const served = await post(gatewayB, byHash(query));
    expect(served.status).toBe(200);
    expect(served.body).toEqual(registered.body);
  });

  it('Redis cut and restored under traffic: no failed request, errors counted, sharing resumes', async () => {
    const known = freshQuery('mexico');
    expect((await apqClient(gatewayA, known)).body.errors).toBeUndefined();

    // Steady APQ traffic on both replicas, known and new documents, for the whole outage.
    const failures: unknown[] = [];
    let answered = 0;
    let running = true;
    const traffic = Promise.all(
      [gatewayA, gatewayB, gatewayB].map(async (url) => {
        while (running) {
          const query = answered % 3 === 0 ? freshQuery('japan') : known;
          const { status, body } = await apqClient(url, query);
          if (status !== 200 || body.errors !== undefined || Object.values(body.data ?? {}).length !== 1)
            failures.push({ url, status, body });
          answered += 1;
        }
      }),
    );

    const errorsBefore = await sharedStateErrors(gatewayB);
    await proxy.cut();
    await eventually(async () => (await sharedStateErrors(gatewayB)) > errorsBefore, 'B counts Redis errors');
    const servedDuringOutage = answered;
    await eventually(async () => answered > servedDuringOutage + 20, 'traffic keeps being answered during the outage');
    await proxy.restore();

    // Once B is connected again, what it registers is served by A, and the reverse.
    const throughB = freshQuery('france');
    await eventually(async () => {
      await post(gatewayB, { query: throughB, ...byHash(throughB) });
      return (await post(gatewayA, byHash(throughB))).body.errors === undefined;
    }, 'a registration through B is served by A after Redis returns');
    const throughA = freshQuery('italy');
    await post(gatewayA, { query: throughA, ...byHash(throughA) });
    const served = await post(gatewayB, byHash(throughA));
    expect(served.body.errors).toBeUndefined();
    expect(Object.values(served.body.data)).toEqual([{ name: 'Italy' }]);

    running = false;
    await traffic;
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(20);
  });
});

describe('gateway replicas sharing a response cache, invalidated through Redis (RESPONSE_CACHE=on)', () => {
  const prefix = randomKeyPrefix();
  let system: RunningSystem;
  let second: GatewayApp;
  let gatewayA: string;
  let gatewayB: string;

  async function ask(url: string, query: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
    return { cache: response.headers.get('x-response-cache'), body: (await response.json()) as any };
  }

  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, RESPONSE_CACHE: 'on' };
    system = await startSystem(env);
    gatewayA = system.gatewayUrl;
    const subgraphUrls = Object.entries(system.subgraphUrls)
      .map(([name, url]) => `${name}=${url}`)
      .join(',');
    second = await buildGateway(
      parseGatewayConfig({ NODE_ENV: 'test', ...env, SUBGRAPH_URLS: subgraphUrls }),
      pino({ level: 'silent' }),
    );
    gatewayB = `${await second.listen('127.0.0.1', 0)}/graphql`;
  });
  afterAll(async () => {
    await second?.stop();
    await system?.stop();
    await deleteKeysUnder(prefix);
  });

  it('an answer cached through one replica is served by the other; a write invalidated on one is fresh on both', async () => {
    const query = '{ partner(id: "canada") { id name agreements { nodes { id title } } } }';
    const first = await ask(gatewayB, query);
    expect(first.cache).toBe('miss');
    expect(first.body.data.partner.name).toBe('Canada');
    expect((await ask(gatewayB, query)).cache).toBe('hit');
    expect(await ask(gatewayA, query)).toEqual({ cache: 'hit', body: first.body });

    // A write the gateways do not see yet: both keep answering from the cache.
    await system.stores.partners!.query("UPDATE partners.partner SET name = 'Canada (renamed)' WHERE id = 'canada'");
    expect((await ask(gatewayB, query)).body.data.partner.name).toBe('Canada');

    // The write is announced on replica A (as a mutation through A will); B drops it too.
    await system.gateway.sharedState.invalidateEntities('Partner', ['canada']);
    await eventually(
      async () => (await ask(gatewayB, query)).body.data.partner.name === 'Canada (renamed)',
      'B answers fresh',
    );
    expect((await ask(gatewayA, query)).body.data.partner.name).toBe('Canada (renamed)');

    // An entity the write did not touch stays cached.
    const mexico = '{ partner(id: "mexico") { id name } }';
    await ask(gatewayA, mexico);
    await system.gateway.sharedState.invalidateEntities('Partner', ['canada']);
    expect((await ask(gatewayB, mexico)).cache).toBe('hit');
  });

  it('a mutation through one replica invalidates the cached reads that show its entity on the other', async () => {
    const read = '{ partner(id: "japan") { id name version } }';
    const before = await ask(gatewayB, read);
    expect((await ask(gatewayB, read)).cache).toBe('hit');
    const { version } = before.body.data.partner as { version: number };

    const mutation = `mutation { updatePartner(id: "japan", expectedVersion: ${version}, input: { name: "Nippon" }) { id name version } }`;
    const written = await ask(gatewayA, mutation);
    expect(written.body.errors).toBeUndefined();
    expect(written.cache).toBe('bypass');

    await eventually(async () => (await ask(gatewayB, read)).body.data.partner.name === 'Nippon', 'B answers fresh');
    expect((await ask(gatewayB, read)).body.data.partner).toEqual({
      id: 'japan',
      name: 'Nippon',
      version: version + 1,
    });
  });

  it('never caches an answer it could not tag, nor a document that fails validation', async () => {
    const untagged = '{ partner(id: "canada") { name } }';
    expect((await ask(gatewayA, untagged)).cache).toBe('miss');
    // Not stored, and from then on not even looked up.
    expect((await ask(gatewayA, untagged)).cache).toBe('bypass');
    const withError = '{ partner(id: "canada") { id nope } }';
    expect((await ask(gatewayA, withError)).cache).toBe('bypass');
  });
});
