// Hive Gateway configuration for our supergraph: the same JWT rules as our gateway
// (gateway/src/security/jwt.ts; its token-lifetime rules in tokenLifetime.mjs), Hive's own enforcement of @authenticated / @requiresScopes, and
// every subgraph request signed with the caller's claims as our subgraphs require
// (subgraphSigning.mjs). Read by `hive-gateway supergraph <file> --config-path <this file>`; it
// reads the same environment variables as our gateway, so one deployment's settings fit both.
// No import from @graphql-hive/gateway: the file loads wherever Hive is installed (`defineConfig`
// is the identity function; the key providers below are the few lines Hive's would be).
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { OFFICE_UPGRADE_HEADERS, scopesIn, useGatewaySignature } from './subgraphSigning.mjs';
import { tokenLifetimeSettings, useTokenLifetime } from './tokenLifetime.mjs';

const env = process.env;

function required(name, minLength) {
  const value = env[name];
  if (!value || value.length < minLength)
    throw new Error(`${name}: required, at least ${minLength} characters (the secret shared with the subgraphs)`);
  return value;
}

/** A JWKS (`{ keys: [...] }`) as PEM public keys by `kid`; a token without `kid` may use the only key. */
function pemByKid(jwks) {
  const keys = new Map();
  for (const jwk of jwks.keys ?? []) {
    keys.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }));
  }
  return (kid) => keys.get(kid) ?? (keys.size === 1 && kid === undefined ? [...keys.values()][0] : undefined);
}

/** A JWKS URL, fetched at the first token and again (at most once a minute) for an unknown `kid`. */
function remoteJwks(url) {
  let lookup = () => undefined;
  let fetchedAt = 0;
  return async (kid) => {
    const found = lookup(kid);
    if (found || Date.now() - fetchedAt < 60_000) return found;
    fetchedAt = Date.now();
    const response = await fetch(url);
    if (!response.ok) throw new Error(`AUTH_JWKS_URL answered ${response.status}`);
    lookup = pemByKid(await response.json());
    return lookup(kid);
  };
}

/**
 * The key source and its algorithms, fixed per source as in our gateway (a token cannot switch
 * RS256 for HS256 or pick `none`). Undefined without a key: every caller is anonymous, as our
 * gateway is in production without one.
 */
function keySource() {
  if (env.AUTH_JWKS_FILE)
    return { provider: pemByKid(JSON.parse(readFileSync(env.AUTH_JWKS_FILE, 'utf8'))), algorithms: ['RS256', 'ES256'] };
  if (env.AUTH_JWKS_URL) return { provider: remoteJwks(env.AUTH_JWKS_URL), algorithms: ['RS256', 'ES256'] };
  if (env.AUTH_HS256_SECRET) return { provider: () => env.AUTH_HS256_SECRET, algorithms: ['HS256'] };
  return undefined;
}

/**
 * `SUBGRAPH_URLS` (`name=url,name=url`, as our gateway reads it): where each subgraph really is,
 * over the `join__graph(name:, url:)` URL composed into the supergraph, which is left unchanged.
 * Hive ignores a name the supergraph does not have: that subgraph stays on its composed URL.
 */
function transportEntries() {
  const entries = {
    // Every subgraph on HTTP: its subscriptions over GraphQL over WebSocket (graphql-transport-ws)
    // on the same URL, the upgrade signed for its office (subgraphSigning.mjs); queries, mutations
    // and the entity fetches of each event stay on signed HTTP.
    '*.http': { options: { subscriptions: { kind: 'ws', headers: OFFICE_UPGRADE_HEADERS } } },
  };
  for (const pair of (env.SUBGRAPH_URLS ?? '').split(',').filter((item) => item.trim())) {
    const [name, url, ...rest] = pair.trim().split('=');
    if (!name || !url || rest.length > 0 || !URL.canParse(url))
      throw new Error(`SUBGRAPH_URLS: expected name=url pairs separated by commas; got "${pair}"`);
    entries[name] = { location: url };
  }
  return entries;
}

/**
 * The bearer token: from the `Authorization` header, or over a WebSocket from the connection_init
 * payload `{ authorization: "Bearer …" }`, where browsers put it (as our gateway reads it). A
 * header of another shape is handed over whole, so Hive refuses it as an invalid token.
 */
function bearerToken({ request, serverContext }) {
  const connectionParams = serverContext?.connectionParams;
  const value =
    request?.headers.get('authorization') ??
    (typeof connectionParams?.authorization === 'string' ? connectionParams.authorization : undefined);
  if (!value?.trim()) return undefined;
  const [scheme, token, ...rest] = value.trim().split(/\s+/);
  return { prefix: 'Bearer', token: scheme === 'Bearer' && token && rest.length === 0 ? token : value };
}

const keys = keySource();
const lifetime = tokenLifetimeSettings(env);
const scopesOf = scopesIn(env.AUTH_SCOPES_CLAIM || 'scope');

export const gatewayConfig = {
  transportEntries: transportEntries(),
  ...(keys
    ? {
        jwt: {
          signingKeyProviders: [keys.provider],
          tokenLookupLocations: [bearerToken],
          tokenVerification: {
            algorithms: keys.algorithms,
            clockTolerance: lifetime.clockSkewSeconds,
            ...(env.AUTH_ISSUER ? { issuer: env.AUTH_ISSUER } : {}),
            ...(env.AUTH_AUDIENCE ? { audience: env.AUTH_AUDIENCE } : {}),
          },
          // No token is an anonymous caller (public fields only); a bad token is refused.
          reject: { missingToken: false, invalidToken: true },
          // Subgraphs get the claims in the signed header, not in the request body.
          forward: { payload: false, token: false },
        },
      }
    : {}),
  genericAuth: {
    // Enforce @authenticated / @requiresScopes field by field: what the caller may not see is
    // removed from the operation before planning and reported as an error; the rest is answered.
    mode: 'protect-granular',
    rejectUnauthenticated: false,
    resolveUserFn: (context) => context.jwt?.payload,
    extractScopes: scopesOf,
  },
  plugins: (context) => {
    if (keys && !lifetime.requireExp)
      context.log.warn('AUTH_REQUIRE_EXP=false: tokens without `exp` are accepted, and never expire.');
    return [
      // No `exp`, too long a lifetime, an `iat` ahead of the clock: refused as Hive refuses a bad token (401).
      ...(keys
        ? [
            useTokenLifetime({
              settings: lifetime,
              tokenOf: (serverContext) => bearerToken({ request: serverContext.request, serverContext })?.token,
              log: context.log,
            }),
          ]
        : []),
      useGatewaySignature({
        secret: required('GATEWAY_SIGNING_SECRET', 32),
        scopesOf,
        propagateHeaders: (env.PROPAGATE_HEADERS ?? '')
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      }),
    ];
  },
};
