// The gateway's side of the subgraph handshake (packages/core/src/gatewaySignature.ts), in plain
// JavaScript with no dependency: Hive Gateway loads this from its own process and its own
// node_modules, where our TypeScript packages are not. test/hive-gateway.test.ts proves that what
// these lines produce is what @cip/core verifies and decodes.
import { createHash, createHmac, hkdfSync, randomUUID } from 'node:crypto';

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

/** Each office's key from the master secret, as `deriveOfficeKey` derives it (HKDF-SHA256, the office in `info`). */
export function deriveOfficeKey(master, office) {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `cip-office-signing-v2:${office}`, 32)).toString(
    'base64url',
  );
}

/**
 * `v2,kid=<key id>,iss=gateway,t=<ms>,id=<uuid>,sig=<base64url HMAC-SHA256>` over the office, method,
 * path, time, id, claims header and exact body, as `signRequest` makes it.
 */
export function signOfficeRequest(key, { audience, method, path, claims, body }, now = Date.now(), id = randomUUID()) {
  const keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const timestamp = String(now);
  const mac = createHmac('sha256', key)
    .update(
      `cip-signature-v2\ngateway\n${audience}\n${method.toUpperCase()}\n${path}\n${timestamp}\n${id}\n${claims}\n`,
    )
    .update(body)
    .digest('base64url');
  return `v2,kid=${keyId},iss=gateway,t=${timestamp},id=${id},sig=${mac}`;
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

/**
 * Where `onSubgraphExecute` puts a subscription's signed upgrade headers on the execution request
 * (its `rootValue`, which Hive's WebSocket transport interpolates and never sends to the subgraph).
 */
const UPGRADE = 'cipOfficeUpgrade';

/**
 * The headers of the WebSocket upgrade to an office, for `transportEntries` `subscriptions.headers`:
 * Hive's WebSocket transport fills them in from each subscription's execution request, once per
 * subscription, when it opens that subscription's connection.
 */
export const OFFICE_UPGRADE_HEADERS = [
  [GATEWAY_SIGNATURE_HEADER, `{root.${UPGRADE}.signature}`],
  [GATEWAY_CLAIMS_HEADER, `{root.${UPGRADE}.claims}`],
];

/** Headers a client cannot smuggle to a subgraph through propagation (headerPropagation.ts). */
const RESERVED = new Set([GATEWAY_SIGNATURE_HEADER, GATEWAY_CLAIMS_HEADER, 'content-type', 'content-length', 'host']);

/**
 * A Hive Gateway plugin that does to every subgraph request what our gateway's subgraph hooks do:
 * copies the configured client headers (`PROPAGATE_HEADERS`), then sets the caller's claims and
 * a signature for that subgraph's office over them and the exact body. Only requests that execute
 * an operation on a subgraph are signed (a signature sent anywhere else, a supergraph CDN say, is
 * not for an office). The subgraph's name comes from `onSubgraphExecute` (Hive Gateway 2.x hands
 * `onFetch` the execution request but not the subgraph), kept per execution request. A
 * subscription's WebSocket upgrade is signed there too (`OFFICE_UPGRADE_HEADERS`).
 */
export function useGatewaySignature({ secret, scopesOf, propagateHeaders = [] }) {
  const allowed = propagateHeaders.map((name) => name.toLowerCase()).filter((name) => !RESERVED.has(name));
  const subgraphOf = new WeakMap();
  const keys = new Map();
  const keyOf = (office) => {
    let key = keys.get(office);
    if (!key) keys.set(office, (key = deriveOfficeKey(secret, office)));
    return key;
  };
  return {
    onSubgraphExecute({ subgraphName, executionRequest, transportEntry, setExecutionRequest }) {
      if (!executionRequest) return;
      subgraphOf.set(executionRequest, subgraphName);
      if (executionRequest.operationType !== 'subscription' || !transportEntry?.location) return;
      // A subscription goes over a WebSocket of its own (transportEntries `subscriptions: { kind:
      // 'ws' }`): its upgrade, an HTTP GET with no body, is signed as the contract says, for this
      // subgraph's office, with the caller's claims (docs/hive-gateway.md, subscriptions).
      const claims = encodeClaims(executionRequest.context?.jwt?.payload, scopesOf);
      const { pathname, search } = new URL(transportEntry.location);
      const signature = signOfficeRequest(keyOf(subgraphName), {
        audience: subgraphName,
        method: 'GET',
        path: `${pathname}${search}`,
        claims,
        body: '',
      });
      const signed = {
        ...executionRequest,
        rootValue: { ...executionRequest.rootValue, [UPGRADE]: { signature, claims } },
      };
      subgraphOf.set(signed, subgraphName);
      setExecutionRequest(signed);
    },
    onFetch({ context, executionRequest, url, options, setOptions }) {
      if (!executionRequest) return;
      const subgraph = subgraphOf.get(executionRequest);
      // No office to sign for, or a body that is not text (a stream): sent unsigned, refused by the office.
      if (subgraph === undefined) return;
      const body = options.body ?? '';
      if (typeof body !== 'string') return;
      const headers = new Headers(options.headers);
      const incoming = context?.request?.headers;
      for (const name of allowed) {
        const value = incoming?.get(name);
        if (value !== null && value !== undefined) headers.set(name, value);
      }
      const claims = encodeClaims(context?.jwt?.payload, scopesOf);
      const { pathname, search } = new URL(url);
      headers.set(GATEWAY_CLAIMS_HEADER, claims);
      headers.set(
        GATEWAY_SIGNATURE_HEADER,
        signOfficeRequest(keyOf(subgraph), {
          audience: subgraph,
          method: options.method ?? 'POST',
          path: `${pathname}${search}`,
          claims,
          body,
        }),
      );
      setOptions({ ...options, headers: Object.fromEntries(headers) });
    },
  };
}
