import { pino } from 'pino';
import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  encodeClaims,
  gatewaySigner,
  officeKeysFromMaster,
  processSigningSecret,
  signRequest,
  signingKey,
} from '@cip/core';
import { loadSubgraphModules } from '@cip/stack';
import { buildSubgraphApp, type SubgraphApp } from '@cip/subgraph-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay, startCapturingProxy, type CapturingProxy } from '@cip/testing/capturing-proxy';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

const SECRET = 'the-gateway-master-signing-secret-0123456789';
const OFFICES = ['partners', 'agreements', 'sectors', 'threat-focus-areas'];

describe('defence in depth: subgraphs answer only the gateway', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    // The embedded stack signs with a secret it makes itself; nothing to configure.
    system = await startSystem({ ...TEST_AUTH });
  });
  afterAll(() => system.stop());

  it.each(['partners', 'agreements', 'sectors', 'threat-focus-areas'])(
    'the %s subgraph refuses an unsigned direct call with 401',
    async (name) => {
      const { status, body } = await post(system.subgraphUrls[name]!, { query: '{ _service { sdl } }' });
      expect(status).toBe(401);
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    },
  );

  it('a forged or malformed signature is refused too', async () => {
    const claims = encodeClaims({ authenticated: true, subject: 'mallory', scopes: ['partners:restricted'] });
    const url = system.subgraphUrls.partners!;
    const body = JSON.stringify({ query: '{ _service { sdl } }' });
    const forged = await post(url, body, undefined, {
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: gatewaySigner('not-the-master-secret-not-the-master')({
        audience: 'partners',
        method: 'POST',
        path: '/graphql',
        claims,
        body,
      }),
    });
    expect(forged).toMatchObject({ status: 401, body: { errors: [{ extensions: { code: 'SIGNATURE_INVALID' } }] } });
    const legacy = await post(url, body, undefined, {
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: `t=${Date.now()},v1=${'0'.repeat(64)}`,
    });
    expect(legacy).toMatchObject({ status: 401, body: { errors: [{ extensions: { code: 'SIGNATURE_INVALID' } }] } });
  });

  it('through the gateway, the same subgraphs answer (signed, with the caller’s claims)', async () => {
    const { status, body } = await post(
      system.gatewayUrl,
      { query: '{ partner(id: "canada") { name pointsOfContact { email } } }' },
      await makeToken({ scopes: ['partners:restricted'] }),
    );
    expect(status).toBe(200);
    expect(body.data.partner.pointsOfContact[0].email).toBe('contact-a@placeholder.invalid');
  });
});

describe('signing with a configured master secret', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ GATEWAY_SIGNING_SECRET: SECRET });
  });
  afterAll(() => system.stop());

  it('each embedded office checks its key derived from GATEWAY_SIGNING_SECRET, and nothing else signs for it', async () => {
    const { body } = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { name } }' });
    expect(body).toEqual({ data: { partner: { name: 'Canada' } } });
    const claims = encodeClaims({ authenticated: false, subject: null, scopes: [] });
    const query = JSON.stringify({ query: '{ _service { sdl } }' });
    const signedWith = (master: string) => ({
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: gatewaySigner(master)({
        audience: 'partners',
        method: 'POST',
        path: '/graphql',
        claims,
        body: query,
      }),
    });
    expect((await post(system.subgraphUrls.partners!, query, undefined, signedWith(SECRET))).status).toBe(200);
    // The process's own secret is what the stack uses only when none is configured.
    const other = await post(system.subgraphUrls.partners!, query, undefined, signedWith(processSigningSecret()));
    expect(other.status).toBe(401);
  });
});

/**
 * A wiretap between the gateway and the partners office: what someone who sees one signed request
 * (TLS ends early, a log keeps headers, a proxy is compromised) can do with it. Nothing.
 */
describe('a captured request between gateway and an office cannot be reused or redirected', () => {
  let system: RunningSystem;
  let proxy: CapturingProxy;
  beforeAll(async () => {
    proxy = await startCapturingProxy();
    system = await startSystem({
      ...TEST_AUTH,
      GATEWAY_SIGNING_SECRET: SECRET,
      SUBGRAPH_URLS: `partners=${proxy.url}`,
    });
    proxy.target = system.subgraphUrls.partners!;
  });
  afterAll(async () => {
    await system.stop();
    await proxy.stop();
  });

  /** An anonymous caller's query through the gateway; the one request it made to partners, as captured. */
  async function captureOne() {
    proxy.captured.length = 0;
    const { status, body } = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { name } }' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ partner: { name: 'Canada' } });
    expect(proxy.captured).toHaveLength(1);
    return proxy.captured[0]!;
  }

  const refusedWith = (code: string) => ({ status: 401, body: { errors: [{ extensions: { code } }] } });

  it('sent again to the same office: 401 SIGNATURE_REPLAYED', async () => {
    const captured = await captureOne();
    expect(await replay(system.subgraphUrls.partners!, captured)).toMatchObject(refusedWith('SIGNATURE_REPLAYED'));
  });

  it.each(OFFICES.filter((office) => office !== 'partners'))(
    'sent to the %s office: 401 SIGNATURE_INVALID',
    async (office) => {
      const captured = await captureOne();
      expect(await replay(system.subgraphUrls[office]!, captured)).toMatchObject(refusedWith('SIGNATURE_INVALID'));
    },
  );

  it('with another body (restricted fields, a write): 401 SIGNATURE_INVALID, nothing read or written', async () => {
    const captured = await captureOne();
    for (const query of [
      '{ partner(id: "canada") { internalNotes pointsOfContact { email } } }',
      'mutation { updatePartner(id: "canada", input: { notes: "x" }) { id } }',
    ]) {
      const changed = { ...captured, body: Buffer.from(JSON.stringify({ query })) };
      expect(await replay(system.subgraphUrls.partners!, changed)).toMatchObject(refusedWith('SIGNATURE_INVALID'));
    }
    // Nor the same bytes to another path of the same office.
    const elsewhere = `${system.subgraphUrls.partners!}?via=elsewhere`;
    expect(await replay(elsewhere, captured)).toMatchObject(refusedWith('SIGNATURE_INVALID'));
  });

  it('after its lifetime, even at a replica that never saw it: 401 SIGNATURE_EXPIRED', async () => {
    const captured = await captureOne();
    // A replica of the partners office over the same store, whose clock is a minute ahead.
    const partners = (await loadSubgraphModules()).find((module) => module.name === 'partners')!;
    const lateReplica: SubgraphApp<object> = await buildSubgraphApp(partners, {
      db: system.stores.partners!,
      logger: pino({ level: 'silent' }),
      mode: 'test',
      maxBodyBytes: 1_048_576,
      signing: { keys: officeKeysFromMaster(SECRET, 'partners'), now: () => Date.now() + 60_000 },
    });
    try {
      const url = `${await lateReplica.listen('127.0.0.1', 0)}/graphql`;
      expect(await replay(url, captured)).toMatchObject(refusedWith('SIGNATURE_EXPIRED'));
    } finally {
      await lateReplica.stop();
    }
  });

  it('a request signed with one office’s key (or its peer keys) is refused by every other office', async () => {
    const captured = await captureOne();
    const claims = encodeClaims({ authenticated: true, subject: 'mallory', scopes: ['partners:restricted'] });
    const body = JSON.stringify({ query: '{ _service { sdl } }' });
    for (const holder of OFFICES) {
      const held = officeKeysFromMaster(SECRET, holder);
      for (const office of OFFICES.filter((other) => other !== holder)) {
        const request = { audience: office, method: 'POST', path: '/graphql', claims, body };
        // Its own key, as if it were the gateway; and its peer key for a third office, for this one.
        const third = OFFICES.find((other) => other !== holder && other !== office)!;
        for (const [key, issuer] of [
          [held.keys[0]!, 'gateway'],
          [held.keys[0]!, holder],
          [held.peerKey(third)!, holder],
        ] as const) {
          const headers = {
            [GATEWAY_CLAIMS_HEADER]: claims,
            [GATEWAY_SIGNATURE_HEADER]: signRequest(signingKey(key), issuer, request),
          };
          const answer = await replay(system.subgraphUrls[office]!, {
            ...captured,
            headers: { ...captured.headers, ...headers },
            body: Buffer.from(body),
          });
          expect(answer, `${holder}'s key (as ${issuer}) at ${office}`).toMatchObject(refusedWith('SIGNATURE_INVALID'));
        }
      }
    }
  });
});

describe('composing from running subgraphs (introspect mode) with the security rules', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH, NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect' });
  });
  afterAll(() => system.stop());

  it('introspects through signed requests and still enforces the rules it composed', async () => {
    const { body } = await post(system.gatewayUrl, {
      query: '{ threatFocusArea(id: "cyber-security") { name assessment { text } } }',
    });
    expect(body.data).toEqual({ threatFocusArea: { name: 'Cyber security', assessment: null } });
    expect(body.errors[0].extensions.code).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
  });
});
