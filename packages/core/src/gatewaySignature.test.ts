import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIGNATURE_CLOCK_SKEW_MS,
  DEFAULT_SIGNATURE_LIFETIME_MS,
  createSignatureVerifier,
  decodeClaims,
  deriveOfficeKey,
  derivePeerKey,
  encodeClaims,
  gatewaySigner,
  memoryReplayStore,
  officeKeysFromMaster,
  processSigningSecret,
  signRequest,
  signingKey,
  signingKeyId,
  type SignedRequest,
} from './gatewaySignature.js';

const master = 'm'.repeat(40);
const claims = encodeClaims({ authenticated: true, subject: 'ana', scopes: ['analyst'] });
const request: SignedRequest = {
  audience: 'partners',
  method: 'POST',
  path: '/graphql',
  claims,
  body: '{"query":"{ partners { id } }"}',
};

function verifierFor(office: string, keys: string[], clock = { now: Date.now() }) {
  return createSignatureVerifier({ office, keys, replays: memoryReplayStore(() => clock.now), now: () => clock.now });
}

function received(signed: SignedRequest, signature: string) {
  return { ...signed, signature, body: Buffer.from(signed.body) };
}

describe('office keys', () => {
  it('each office its own key, from the master; none equal, none the master', () => {
    const keys = ['partners', 'agreements', 'sectors', 'threat-focus-areas'].map((office) =>
      deriveOfficeKey(master, office),
    );
    expect(new Set(keys).size).toBe(4);
    expect(keys).not.toContain(master);
    expect(deriveOfficeKey(master, 'partners')).toBe(keys[0]);
    expect(keys[0]).toHaveLength(43);
    expect(deriveOfficeKey(`${master}x`, 'partners')).not.toBe(keys[0]);
  });

  it('a key id names a key without showing it: 8 bytes of its SHA-256, hex', () => {
    expect(signingKeyId('k'.repeat(40))).toMatch(/^[0-9a-f]{16}$/);
    expect(signingKeyId('k'.repeat(40))).not.toBe(signingKeyId('l'.repeat(40)));
  });
});

describe('a signed request', () => {
  it('is accepted once, by the office it is for, with the claims the gateway verified', async () => {
    const clock = { now: 1_000_000 };
    const verify = verifierFor('partners', [deriveOfficeKey(master, 'partners')], clock);
    const signature = signRequest(signingKey(deriveOfficeKey(master, 'partners')), 'gateway', request, clock.now);
    expect(signature).toMatch(/^v2,kid=[0-9a-f]{16},iss=gateway,t=1000000,id=[0-9a-f-]{36},sig=[\w-]{43}$/);
    expect(await verify(received(request, signature))).toEqual({
      ok: true,
      issuer: 'gateway',
      claims: { authenticated: true, subject: 'ana', scopes: ['analyst'] },
    });
    expect(await verify(received(request, signature))).toEqual({ ok: false, code: 'SIGNATURE_REPLAYED' });
  });

  it('is refused by every other office, and when anything it covers changes', async () => {
    const sign = gatewaySigner(master);
    for (const office of ['agreements', 'sectors', 'threat-focus-areas']) {
      const verify = verifierFor(office, [deriveOfficeKey(master, office)]);
      expect(await verify(received(request, sign(request)))).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
      // Nor with the office's name put in: the key is the partners office's.
      const redirected = { ...request, audience: office };
      expect(await verify(received(redirected, sign(request)))).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
    }
    const verify = verifierFor('partners', [deriveOfficeKey(master, 'partners')]);
    const changes: Partial<SignedRequest>[] = [
      { body: '{"query":"{ partners { id internalNotes } }"}' },
      { method: 'GET' },
      { path: '/graphql?x=1' },
      { claims: encodeClaims({ authenticated: true, subject: 'ana', scopes: ['partners:restricted'] }) },
    ];
    for (const change of changes) {
      const signature = sign(request);
      expect(await verify(received({ ...request, ...change }, signature))).toEqual({
        ok: false,
        code: 'SIGNATURE_INVALID',
      });
    }
    expect(await verify(received(request, sign(request)))).toMatchObject({ ok: true });
  });

  it('lives for its lifetime, plus the clock skew either way', async () => {
    const clock = { now: 5_000_000 };
    const verify = verifierFor('partners', [deriveOfficeKey(master, 'partners')], clock);
    const key = signingKey(deriveOfficeKey(master, 'partners'));
    const at = (signedAt: number) => verify(received(request, signRequest(key, 'gateway', request, signedAt)));
    const oldest = clock.now - DEFAULT_SIGNATURE_LIFETIME_MS - DEFAULT_SIGNATURE_CLOCK_SKEW_MS;
    expect(await at(oldest)).toMatchObject({ ok: true });
    expect(await at(oldest - 1)).toEqual({ ok: false, code: 'SIGNATURE_EXPIRED' });
    expect(await at(clock.now + DEFAULT_SIGNATURE_CLOCK_SKEW_MS)).toMatchObject({ ok: true });
    expect(await at(clock.now + DEFAULT_SIGNATURE_CLOCK_SKEW_MS + 1)).toEqual({ ok: false, code: 'SIGNATURE_EXPIRED' });
  });

  it('a missing signature is UNAUTHENTICATED; a malformed one, or one with an unknown key, SIGNATURE_INVALID', async () => {
    const verify = verifierFor('partners', [deriveOfficeKey(master, 'partners')]);
    const body = Buffer.from(request.body);
    expect(await verify({ ...request, body, signature: undefined })).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
    expect(await verify({ ...request, body, signature: 't=1,v1=zz' })).toEqual({
      ok: false,
      code: 'SIGNATURE_INVALID',
    });
    const other = signRequest(signingKey('o'.repeat(43)), 'gateway', request);
    expect(await verify(received(request, other))).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('during a rotation the office holds two keys and takes either, by key id', async () => {
    const next = 'n'.repeat(40);
    const verify = verifierFor('partners', [deriveOfficeKey(next, 'partners'), deriveOfficeKey(master, 'partners')]);
    expect(await verify(received(request, gatewaySigner(master)(request)))).toMatchObject({ ok: true });
    expect(await verify(received(request, gatewaySigner(next)(request)))).toMatchObject({ ok: true });
    expect(await verify(received(request, gatewaySigner('z'.repeat(40))(request)))).toMatchObject({ ok: false });
  });
});

describe('peer lookups', () => {
  it('an office signs for one peer with its peer key, and is only ever `subgraph:<name>` with no scopes there', async () => {
    const agreements = officeKeysFromMaster(master, 'agreements');
    const peerKey = agreements.peerKey('partners')!;
    expect(peerKey).toBe(derivePeerKey(deriveOfficeKey(master, 'partners'), 'agreements'));
    const verify = verifierFor('partners', [deriveOfficeKey(master, 'partners')]);
    const signed = signRequest(signingKey(peerKey), 'agreements', request);
    expect(await verify(received(request, signed))).toEqual({
      ok: true,
      issuer: 'agreements',
      claims: { authenticated: true, subject: 'subgraph:agreements', scopes: [] },
    });
    // Its peer key signs nothing as the gateway, nor as another office, nor for another office.
    for (const [issuer, office] of [
      ['gateway', 'partners'],
      ['sectors', 'partners'],
      ['agreements', 'sectors'],
    ] as const) {
      const verifyAt = verifierFor(office, [deriveOfficeKey(master, office)]);
      const forged = signRequest(signingKey(peerKey), issuer, { ...request, audience: office });
      expect(await verifyAt(received({ ...request, audience: office }, forged))).toEqual({
        ok: false,
        code: 'SIGNATURE_INVALID',
      });
    }
    // Nor can an office's own key sign as the gateway for another office.
    const own = signingKey(agreements.keys[0]!);
    const asGateway = signRequest(own, 'gateway', request);
    expect(await verify(received(request, asGateway))).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
  });
});

describe('the in-memory replay store', () => {
  it('forgets ids once their lifetime is over, so it stays bounded', async () => {
    const clock = { now: 0 };
    const store = memoryReplayStore(() => clock.now);
    expect(await store.firstUse('a', 1_000)).toBe(true);
    expect(await store.firstUse('a', 1_000)).toBe(false);
    clock.now = 500;
    expect(await store.firstUse('b', 1_000)).toBe(true);
    clock.now = 1_001;
    expect(await store.firstUse('c', 1_000)).toBe(true);
    expect(store.size).toBe(2);
    clock.now = 10_000;
    expect(await store.firstUse('d', 1_000)).toBe(true);
    expect(store.size).toBe(1);
  });
});

describe('claims', () => {
  it('decodes claims defensively', () => {
    expect(decodeClaims(encodeClaims({ authenticated: true, subject: null, scopes: ['a'] }))).toEqual({
      authenticated: true,
      subject: null,
      scopes: ['a'],
    });
    expect(decodeClaims('%%%')).toEqual({ authenticated: false, subject: null, scopes: [] });
    expect(decodeClaims(undefined).authenticated).toBe(false);
  });

  it('the process secret is made once', () => {
    expect(processSigningSecret()).toBe(processSigningSecret());
    expect(processSigningSecret().length).toBeGreaterThanOrEqual(40);
  });
});
