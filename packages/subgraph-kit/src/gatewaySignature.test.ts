import { createServer } from 'node:http';
import pino from 'pino';
import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  close,
  createSignatureVerifier,
  deriveOfficeKey,
  encodeClaims,
  gatewaySigner,
  graphqlHandler,
  listen,
  memoryReplayStore,
  type ReplayStore,
} from '@cip/core';
import { TEST_REDIS_URL, deleteKeysUnder, randomKeyPrefix } from '@cip/testing/redis';
import { afterAll, describe, expect, it } from 'vitest';
import { callerOf, gatewaySignatureCheck, type SignatureVerifier } from './gatewaySignature.js';
import { openReplayStore } from './replayStore.js';

const master = 'm'.repeat(40);
const sign = gatewaySigner(master);
const claims = encodeClaims({ authenticated: true, subject: 'ana', scopes: ['analyst'] });
const body = '{"query":"{ __typename }"}';

/** An office's `/graphql` front whose "execution" answers the verified caller. */
async function withOffice(verify: SignatureVerifier | null, run: (url: string) => Promise<void>) {
  const check = gatewaySignatureCheck(verify);
  const apollo = {
    // The handler's only use of Apollo: answer with the context it builds.
    executeHTTPGraphQLRequest: async ({ context }: { context: () => Promise<unknown> }) => ({
      status: 200,
      headers: new Map([['content-type', 'application/json']]),
      body: { kind: 'complete', string: JSON.stringify(await context()) },
    }),
  } as unknown as Parameters<typeof graphqlHandler>[0];
  const handler = graphqlHandler(apollo, {
    authenticate: check.authenticate,
    context: async (request) => ({ caller: check.callerOf(request) }),
    maxBodyBytes: 10_000,
    onInternalError: () => undefined,
  });
  const server = createServer((req, res) => void handler(req, res));
  const url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
  try {
    await run(url);
  } finally {
    await close(server);
  }
}

const signedHeaders = (audience = 'partners', signedBody = body) => ({
  'content-type': 'application/json',
  [GATEWAY_CLAIMS_HEADER]: claims,
  [GATEWAY_SIGNATURE_HEADER]: sign({ audience, method: 'POST', path: '/graphql', claims, body: signedBody }),
});

const verifierWith = (replays: ReplayStore) =>
  createSignatureVerifier({ office: 'partners', keys: [deriveOfficeKey(master, 'partners')], replays });

async function codeOf(response: Response): Promise<unknown> {
  return ((await response.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code;
}

describe('an office behind the gateway signature', () => {
  it('checks the raw body, then passes the verified caller; refuses with 401 and a code, nothing more', async () => {
    await withOffice(verifierWith(memoryReplayStore()), async (url) => {
      const unsigned = await fetch(url, { method: 'POST', body });
      expect(unsigned.status).toBe(401);
      expect(await codeOf(unsigned)).toBe('UNAUTHENTICATED');
      const headers = signedHeaders();
      const signed = await fetch(url, { method: 'POST', headers, body });
      expect(signed.status).toBe(200);
      expect(await signed.json()).toEqual({ caller: { authenticated: true, subject: 'ana', scopes: ['analyst'] } });
      const again = await fetch(url, { method: 'POST', headers, body });
      expect(again.status).toBe(401);
      expect(again.headers.get('www-authenticate')).toBe('GatewaySignature');
      const refusal = (await again.json()) as { errors: { message: string; extensions: object }[] };
      expect(refusal.errors).toEqual([
        { message: expect.any(String) as unknown, extensions: { code: 'SIGNATURE_REPLAYED' } },
      ]);
      // The same JSON with a space more is other bytes: refused before anything parses it.
      const reformatted = await fetch(url, { method: 'POST', headers: signedHeaders(), body: body.replace(':', ': ') });
      expect(await codeOf(reformatted)).toBe('SIGNATURE_INVALID');
      const forAnother = await fetch(url, { method: 'POST', headers: signedHeaders('agreements'), body });
      expect(await codeOf(forAnother)).toBe('SIGNATURE_INVALID');
    });
  });

  it('answers 503 SIGNATURE_CHECK_UNAVAILABLE when its replay store cannot be asked', async () => {
    const broken: ReplayStore = { firstUse: () => Promise.reject(new Error('Redis down')) };
    await withOffice(verifierWith(broken), async (url) => {
      const response = await fetch(url, { method: 'POST', headers: signedHeaders(), body });
      expect(response.status).toBe(503);
      expect(await codeOf(response)).toBe('SIGNATURE_CHECK_UNAVAILABLE');
    });
  });

  it('with no keys (an office alone in development), lets every request through', async () => {
    await withOffice(null, async (url) => {
      expect((await fetch(url, { method: 'POST', body })).status).toBe(200);
    });
  });

  it('resolvers read the claims with callerOf; anonymous without them', () => {
    expect(callerOf({ caller: { authenticated: true, subject: 'a', scopes: ['x'] } }).scopes).toEqual(['x']);
    expect(callerOf({})).toEqual({ authenticated: false, subject: null, scopes: [] });
  });
});

describe('replicas share the ids they accepted through Redis', () => {
  const keyPrefix = randomKeyPrefix();
  afterAll(() => deleteKeysUnder(keyPrefix));

  it('a request accepted by one replica is refused by another', async () => {
    const settings = { kind: 'redis', url: TEST_REDIS_URL, keyPrefix } as const;
    const logger = pino({ level: 'silent' });
    const [first, second] = await Promise.all([
      openReplayStore(settings, 'partners', logger),
      openReplayStore(settings, 'partners', logger),
    ]);
    try {
      await withOffice(verifierWith(first.store), async (firstUrl) => {
        await withOffice(verifierWith(second.store), async (secondUrl) => {
          const headers = signedHeaders();
          expect((await fetch(firstUrl, { method: 'POST', headers, body })).status).toBe(200);
          const replayed = await fetch(secondUrl, { method: 'POST', headers, body });
          expect(replayed.status).toBe(401);
          expect(await codeOf(replayed)).toBe('SIGNATURE_REPLAYED');
          expect((await fetch(secondUrl, { method: 'POST', headers: signedHeaders(), body })).status).toBe(200);
        });
      });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
