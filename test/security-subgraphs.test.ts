import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  encodeClaims,
  processSigningSecret,
  signGatewayRequest,
} from '@cip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

const SECRET = 'a-signing-secret-shared-by-gateway-and-offices-0123456789';

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

  it('a forged or stale signature is refused too', async () => {
    const claims = encodeClaims({ authenticated: true, subject: 'mallory', scopes: ['partners:restricted'] });
    const url = system.subgraphUrls.partners!;
    const query = { query: '{ _service { sdl } }' };
    const forged = await post(url, query, undefined, {
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest('not-the-secret', claims),
    });
    expect(forged.status).toBe(401);
    const stale = await post(url, query, undefined, {
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest('not-the-secret', claims, Date.now() - 3_600_000),
    });
    expect(stale.status).toBe(401);
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

describe('signing with a configured secret', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ GATEWAY_SIGNING_SECRET: SECRET });
  });
  afterAll(() => system.stop());

  it('gateway and embedded subgraphs share GATEWAY_SIGNING_SECRET, and nothing else signs for them', async () => {
    const { body } = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { name } }' });
    expect(body).toEqual({ data: { partner: { name: 'Canada' } } });
    const claims = encodeClaims({ authenticated: false, subject: null, scopes: [] });
    const url = system.subgraphUrls.partners!;
    const query = { query: '{ _service { sdl } }' };
    const signedWith = (secret: string) => ({
      [GATEWAY_CLAIMS_HEADER]: claims,
      [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(secret, claims),
    });
    expect((await post(url, query, undefined, signedWith(SECRET))).status).toBe(200);
    // The process's own secret is what the stack uses only when none is configured.
    expect((await post(url, query, undefined, signedWith(processSigningSecret()))).status).toBe(401);
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
