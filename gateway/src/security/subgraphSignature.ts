import { GATEWAY_CLAIMS_HEADER, GATEWAY_SIGNATURE_HEADER, encodeClaims, gatewaySigner, signedPath } from '@cip/core';
import type { GatewayContext } from '../context.js';
import type { SubgraphFetchSigner, SubgraphRequestHook } from '../execution/subgraphDataSource.js';
import { ANONYMOUS, type Caller } from './jwt.js';

/**
 * Passes the caller's verified claims on every subgraph request, so a subgraph can check the
 * caller itself. Requests the gateway makes on its own (introspection, health) carry anonymous claims.
 */
export const passClaims: SubgraphRequestHook = (_subgraph, { request, context }) => {
  // Requests the gateway makes on its own carry an empty context.
  request.http?.headers.set(
    GATEWAY_CLAIMS_HEADER,
    callerClaims((context as Partial<GatewayContext>).caller ?? ANONYMOUS),
  );
};

/** The claims header an office is sent for `caller` (on HTTP requests, and on a subscription's WebSocket upgrade). */
export function callerClaims(caller: Caller): string {
  return encodeClaims({
    authenticated: caller.authenticated,
    subject: caller.subject,
    scopes: [...caller.scopes].sort(),
    // Only the open gateway's caller (no token key, outside production): offices show it every field.
    ...(caller.unrestricted ? { unrestricted: true as const } : {}),
  });
}

/**
 * Signs every HTTP attempt to a subgraph with that office's key (derived from the master secret):
 * bound to the office, the method and path, the claims and the exact body, with a fresh id, so a
 * request captured on its way can be sent neither again nor elsewhere (docs/security.md). Runs
 * under the retries, so each attempt has its own id.
 */
export function signSubgraphFetches(master: string): SubgraphFetchSigner {
  const sign = gatewaySigner(master);
  return (subgraph, url) => {
    const path = signedPath(url);
    return (init) => {
      const headers = init.headers ?? {};
      const signature = sign({
        audience: subgraph,
        method: init.method ?? 'POST',
        path,
        claims: headers[GATEWAY_CLAIMS_HEADER] ?? '',
        body: typeof init.body === 'string' ? init.body : '',
      });
      return { ...init, headers: { ...headers, [GATEWAY_SIGNATURE_HEADER]: signature } };
    };
  };
}
