// The gateway's side of the subgraph handshake (packages/core/src/gatewaySignature.ts), in plain
// JavaScript with no dependency: Hive Gateway loads this from its own process and its own
// node_modules, where our TypeScript packages are not. test/hive-gateway.test.ts proves that what
// these lines produce is what @cip/core verifies and decodes.
import { createHmac } from 'node:crypto';

/** The header carrying the gateway's signature on each subgraph request. */
export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
/** The header carrying the caller's verified claims (base64url JSON), covered by the signature. */
export const GATEWAY_CLAIMS_HEADER = 'x-gateway-claims';

/**
 * The claims header for a verified JWT payload (or none: an anonymous caller), shaped and ordered
 * exactly as our gateway sends it: `{ authenticated, subject, scopes }`, scopes sorted.
 */
export function encodeClaims(payload, scopesOf) {
  const claims = payload
    ? {
        authenticated: true,
        subject: typeof payload.sub === 'string' ? payload.sub : null,
        scopes: [...new Set(scopesOf(payload))].sort(),
      }
    : { authenticated: false, subject: null, scopes: [] };
  return Buffer.from(JSON.stringify(claims)).toString('base64url');
}

/** `t=<ms>,v1=<hex HMAC-SHA256 of "t.claims">`, as `signGatewayRequest` makes it. */
export function signGatewayRequest(secret, claimsHeader, now = Date.now()) {
  const timestamp = String(now);
  const mac = createHmac('sha256', secret).update(`${timestamp}.${claimsHeader}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** The scopes of a payload: a space-separated string or an array in `claim` (`scopesOf` in gateway/src/security/jwt.ts). */
export function scopesIn(claim) {
  return (payload) => {
    const value = payload?.[claim];
    if (typeof value === 'string') return value.split(' ').filter(Boolean);
    if (Array.isArray(value)) return value.filter((scope) => typeof scope === 'string');
    return [];
  };
}

/** Headers a client cannot smuggle to a subgraph through propagation (headerPropagation.ts). */
const RESERVED = new Set([GATEWAY_SIGNATURE_HEADER, GATEWAY_CLAIMS_HEADER, 'content-type', 'content-length', 'host']);

/**
 * A Hive Gateway plugin that does to every subgraph request what our gateway's subgraph hooks do:
 * copies the configured client headers (`PROPAGATE_HEADERS`), then sets the caller's claims and
 * the signature over them. Only requests that execute an operation on a subgraph are signed: a
 * signature sent anywhere else (a supergraph CDN, say) could be replayed against the subgraphs.
 */
export function useGatewaySignature({ secret, scopesOf, propagateHeaders = [] }) {
  const allowed = propagateHeaders.map((name) => name.toLowerCase()).filter((name) => !RESERVED.has(name));
  return {
    onFetch({ context, executionRequest, options, setOptions }) {
      if (!executionRequest) return;
      const headers = new Headers(options.headers);
      const incoming = context?.request?.headers;
      for (const name of allowed) {
        const value = incoming?.get(name);
        if (value !== null && value !== undefined) headers.set(name, value);
      }
      const claims = encodeClaims(context?.jwt?.payload, scopesOf);
      headers.set(GATEWAY_CLAIMS_HEADER, claims);
      headers.set(GATEWAY_SIGNATURE_HEADER, signGatewayRequest(secret, claims));
      setOptions({ ...options, headers: Object.fromEntries(headers) });
    },
  };
}
