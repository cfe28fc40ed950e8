import type { IncomingMessage } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { propagateHeaders } from './headerPropagation.js';
import { signSubgraphRequests } from './subgraphSignature.js';
import { GATEWAY_CLAIMS_HEADER, GATEWAY_SIGNATURE_HEADER, decodeClaims, verifyGatewaySignature } from '@cip/core';

function subgraphRequest(incoming: Record<string, string>, context: Partial<GatewayContext> = {}) {
  const headers = new HeaderMap();
  const options = {
    request: { http: { method: 'POST', url: 'http://sub.invalid', headers } },
    context: { req: { headers: incoming } as unknown as IncomingMessage, ...context },
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
  return { headers, options };
}

describe('what subgraphs receive', () => {
  it('only the configured client headers; never the raw Authorization unless named', async () => {
    const incoming = { authorization: 'Bearer secret', 'x-office-hint': 'north', cookie: 'a=b' };
    const plain = subgraphRequest(incoming);
    await propagateHeaders(['x-office-hint'])('partners', plain.options);
    expect([...plain.headers]).toEqual([['x-office-hint', 'north']]);
    const named = subgraphRequest(incoming);
    await propagateHeaders(['Authorization'])('partners', named.options);
    expect(named.headers.get('authorization')).toBe('Bearer secret');
  });

  it('a client cannot smuggle the gateway’s own headers through propagation', async () => {
    const { headers, options } = subgraphRequest({
      [GATEWAY_CLAIMS_HEADER]: 'forged',
      [GATEWAY_SIGNATURE_HEADER]: 'forged',
    });
    await propagateHeaders([GATEWAY_CLAIMS_HEADER, GATEWAY_SIGNATURE_HEADER])('partners', options);
    expect([...headers]).toEqual([]);
  });

  it('a signature over the caller’s verified claims', async () => {
    const secret = 'k'.repeat(40);
    const { headers, options } = subgraphRequest(
      {},
      { caller: { authenticated: true, subject: 'ana', scopes: new Set(['b', 'a']), unrestricted: false } },
    );
    await signSubgraphRequests(secret)('partners', options);
    const claims = headers.get(GATEWAY_CLAIMS_HEADER)!;
    expect(decodeClaims(claims)).toEqual({ authenticated: true, subject: 'ana', scopes: ['a', 'b'] });
    expect(verifyGatewaySignature(secret, headers.get(GATEWAY_SIGNATURE_HEADER), claims)).toBe(true);
  });
});
