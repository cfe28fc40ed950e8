import type { IncomingMessage } from 'node:http';
import { HeaderMap } from '@apollo/server';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { propagateHeaders } from './headerPropagation.js';
import { passClaims, signSubgraphFetches } from './subgraphSignature.js';
import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  createSignatureVerifier,
  decodeClaims,
  deriveOfficeKey,
  memoryReplayStore,
} from '@cip/core';

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

  it('the caller’s verified claims, and a signature over them and the exact body, for that office only', async () => {
    const master = 'k'.repeat(40);
    const { headers, options } = subgraphRequest(
      {},
      { caller: { authenticated: true, subject: 'ana', scopes: new Set(['b', 'a']), unrestricted: false } },
    );
    await passClaims('partners', options);
    const claims = headers.get(GATEWAY_CLAIMS_HEADER)!;
    expect(decodeClaims(claims)).toEqual({ authenticated: true, subject: 'ana', scopes: ['a', 'b'] });
    const body = '{"query":"{ partners { id } }"}';
    const sent = signSubgraphFetches(master)('partners', 'http://partners.invalid/graphql')({
      method: 'POST',
      headers: Object.fromEntries(headers),
      body,
    });
    const signature = (sent.headers as Record<string, string>)[GATEWAY_SIGNATURE_HEADER];
    const received = { method: 'POST', path: '/graphql', signature, claims, body: Buffer.from(body) };
    const at = (office: string) =>
      createSignatureVerifier({ office, keys: [deriveOfficeKey(master, office)], replays: memoryReplayStore() });
    expect(await at('agreements')(received)).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(await at('partners')(received)).toMatchObject({ ok: true, claims: decodeClaims(claims) });
  });
});
