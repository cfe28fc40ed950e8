import { createServer } from 'node:http';
import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  close,
  decodeClaims,
  encodeClaims,
  listen,
  sendJson,
  signGatewayRequest,
} from '@cip/core';
import { describe, expect, it } from 'vitest';
import { callerOf, headerOf, requireGatewaySignature } from './gatewaySignature.js';

const secret = 's'.repeat(40);

async function withServer(secretOrNull: string | null, run: (url: string) => Promise<void>) {
  const server = createServer(
    requireGatewaySignature(secretOrNull, (req, res) =>
      sendJson(res, 200, { caller: decodeClaims(headerOf(req, GATEWAY_CLAIMS_HEADER)) }),
    ) as Parameters<typeof createServer>[0],
  );
  const url = await listen(server, '127.0.0.1', 0);
  try {
    await run(url);
  } finally {
    await close(server);
  }
}

describe('a subgraph behind the gateway signature', () => {
  it('refuses unsigned and wrongly signed requests with 401 UNAUTHENTICATED, and passes signed ones with their claims', async () => {
    await withServer(secret, async (url) => {
      const unsigned = await fetch(url, { method: 'POST' });
      expect(unsigned.status).toBe(401);
      expect(((await unsigned.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      const claims = encodeClaims({ authenticated: true, subject: 'ana', scopes: ['analyst'] });
      const wrong = await fetch(url, {
        method: 'POST',
        headers: {
          [GATEWAY_CLAIMS_HEADER]: claims,
          [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest('t'.repeat(40), claims),
        },
      });
      expect(wrong.status).toBe(401);
      const signed = await fetch(url, {
        method: 'POST',
        headers: { [GATEWAY_CLAIMS_HEADER]: claims, [GATEWAY_SIGNATURE_HEADER]: signGatewayRequest(secret, claims) },
      });
      expect(signed.status).toBe(200);
      expect(await signed.json()).toEqual({ caller: { authenticated: true, subject: 'ana', scopes: ['analyst'] } });
    });
  });

  it('resolvers read the claims with callerOf; anonymous without them', () => {
    expect(callerOf({ caller: { authenticated: true, subject: 'a', scopes: ['x'] } }).scopes).toEqual(['x']);
    expect(callerOf({})).toEqual({ authenticated: false, subject: null, scopes: [] });
  });

  it('with no secret (a subgraph alone in development), lets every request through', async () => {
    await withServer(null, async (url) => {
      expect((await fetch(url, { method: 'POST' })).status).toBe(200);
    });
  });
});
