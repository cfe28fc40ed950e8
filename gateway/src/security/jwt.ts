import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';

/** Who is calling, as far as the gateway could verify. */
export interface Caller {
  /** A valid token was presented. */
  readonly authenticated: boolean;
  /** The token's `sub`, when it has one. */
  readonly subject: string | null;
  readonly scopes: ReadonlySet<string>;
  /** Open mode (no authentication configured, not production): every rule is waived. */
  readonly unrestricted: boolean;
  /** When the token expires (its `exp`, epoch ms): a live subscription is closed then (subscriptions/). */
  readonly expiresAt?: number;
}

export const ANONYMOUS: Caller = { authenticated: false, subject: null, scopes: new Set(), unrestricted: false };
export const OPEN_CALLER: Caller = { authenticated: false, subject: null, scopes: new Set(), unrestricted: true };

export interface JwtSettings {
  /** A JWKS JSON file (RS256 / ES256 public keys). */
  jwksFile?: string | undefined;
  /** A JWKS URL, fetched and cached by jose (RS256 / ES256). */
  jwksUrl?: string | undefined;
  /** A shared HS256 secret: for local development. */
  hs256Secret?: string | undefined;
  issuer?: string | undefined;
  audience?: string | undefined;
  /** Tolerance on `exp`, `nbf` and `iat`, for clocks that disagree. */
  clockSkewSeconds: number;
  /** Refuse a token without `exp` (AUTH_REQUIRE_EXP): without one it would never expire. */
  requireExp: boolean;
  /** The longest lifetime accepted (AUTH_MAX_TOKEN_LIFETIME_SECONDS): `exp - iat`, or `exp - now` without `iat`. */
  maxLifetimeSeconds: number;
  /** The claim holding scopes: a space-separated string (`scope`) or an array (`scp`). */
  scopesClaim: string;
}

/** Why a token was refused: logged, never sent to the caller in detail. */
export class TokenRejected extends Error {
  override readonly name = 'TokenRejected';
}

export type TokenVerifier = (token: string) => Promise<Caller>;

export function scopesOf(payload: JWTPayload, claim: string): Set<string> {
  const value = payload[claim];
  if (typeof value === 'string') return new Set(value.split(' ').filter(Boolean));
  if (Array.isArray(value)) return new Set(value.filter((scope): scope is string => typeof scope === 'string'));
  return new Set();
}

async function keySource(settings: JwtSettings): Promise<{ key: JWTVerifyGetKey | Uint8Array; algorithms: string[] }> {
  if (settings.jwksFile) {
    const jwks = JSON.parse(await readFile(settings.jwksFile, 'utf8')) as JSONWebKeySet;
    return { key: createLocalJWKSet(jwks), algorithms: ['RS256', 'ES256'] };
  }
  if (settings.jwksUrl) return { key: createRemoteJWKSet(new URL(settings.jwksUrl)), algorithms: ['RS256', 'ES256'] };
  return { key: new TextEncoder().encode(settings.hs256Secret), algorithms: ['HS256'] };
}

/**
 * The time checks jose leaves to us, on a payload it has verified: jose looks at `iat` only with its
 * `maxTokenAge` option, which measures age rather than lifetime, so an `iat` ten years ahead passed,
 * and nothing bounded how far ahead `exp` may be. Returns why the token is refused, or undefined.
 * Hive Gateway's copy of these rules, with `requireExp`: deploy/hive-gateway/tokenLifetime.mjs,
 * held to this verifier's verdicts by test/hive-gateway.test.ts.
 */
function lifetimeProblem(
  payload: JWTPayload,
  settings: Pick<JwtSettings, 'clockSkewSeconds' | 'maxLifetimeSeconds'>,
  now = Math.floor(Date.now() / 1000),
): string | undefined {
  const { clockSkewSeconds: skew, maxLifetimeSeconds: max } = settings;
  if (payload.iat !== undefined && payload.iat > now + skew) return '"iat" claim is in the future';
  if (payload.exp === undefined) return undefined;
  // Measured from `iat` when the token states it; else from now, with the skew the issuer's clock may be ahead by.
  const lifetime = payload.iat === undefined ? payload.exp - now - skew : payload.exp - payload.iat;
  return lifetime > max ? `"exp" claim is more than ${max} s after "iat" (or now)` : undefined;
}

/**
 * Builds the verifier of bearer tokens, or undefined when no key is configured. Checks the
 * signature with the configured keys only (the algorithm list is fixed per key source, so a token
 * cannot pick `none` or switch RS256 for HS256), that `exp` is there (unless `requireExp` is off)
 * and at most `maxLifetimeSeconds` ahead, `exp` / `nbf` / `iat` within the clock skew, and the
 * issuer and audience when configured.
 */
export async function createTokenVerifier(settings: JwtSettings): Promise<TokenVerifier | undefined> {
  if (!settings.jwksFile && !settings.jwksUrl && !settings.hs256Secret) return undefined;
  const { key, algorithms } = await keySource(settings);
  const options = {
    algorithms,
    clockTolerance: settings.clockSkewSeconds,
    requiredClaims: settings.requireExp ? ['exp'] : [],
    ...(settings.issuer ? { issuer: settings.issuer } : {}),
    ...(settings.audience ? { audience: settings.audience } : {}),
  };
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } =
        key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options));
    } catch (error) {
      throw new TokenRejected(error instanceof Error ? `${error.name}: ${error.message}` : 'token refused', {
        cause: error,
      });
    }
    const problem = lifetimeProblem(payload, settings);
    if (problem) throw new TokenRejected(problem);
    return {
      authenticated: true,
      subject: typeof payload.sub === 'string' ? payload.sub : null,
      scopes: scopesOf(payload, settings.scopesClaim),
      unrestricted: false,
      ...(payload.exp === undefined ? {} : { expiresAt: payload.exp * 1000 }),
    };
  };
}
