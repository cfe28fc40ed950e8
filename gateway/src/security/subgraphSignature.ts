import { GATEWAY_CLAIMS_HEADER, GATEWAY_SIGNATURE_HEADER, encodeClaims, signGatewayRequest } from '@cip/core';
import type { GatewayContext } from '../context.js';
import type { SubgraphRequestHook } from '../execution/subgraphDataSource.js';
import { ANONYMOUS } from './jwt.js';

/**
 * Signs every subgraph request and passes the caller's verified claims, so a subgraph can refuse
 * anything that did not come through the gateway and enforces the caller's rights itself. Requests the
 * gateway makes on its own (introspection, health) are signed with anonymous claims.
 */
export function signSubgraphRequests(secret: string): SubgraphRequestHook {
  return (_subgraph, { request, context }) => {
    // Requests the gateway makes on its own carry an empty context.
    const caller = (context as Partial<GatewayContext>).caller ?? ANONYMOUS;
    const claims = encodeClaims({
      authenticated: caller.authenticated,
      subject: caller.subject,
      scopes: [...caller.scopes].sort(),
      // Only the open gateway's caller (no token key, outside production): offices show it every field.
      ...(caller.unrestricted ? { unrestricted: true as const } : {}),
    });
    request.http?.headers.set(GATEWAY_CLAIMS_HEADER, claims);
    request.http?.headers.set(GATEWAY_SIGNATURE_HEADER, signGatewayRequest(secret, claims));
  };
}
