// Our gateway's token-lifetime rules (gateway/src/security/jwt.ts: `exp` required, a lifetime of at
// most AUTH_MAX_TOKEN_LIFETIME_SECONDS, no `iat` ahead of the clock beyond the skew), which Hive's
// JWT plugin (jsonwebtoken) does not check, in plain JavaScript with no dependency. Loaded by
// gateway.config.mjs; test/hive-gateway.test.ts holds its verdicts to our gateway's.

/** A variable as our gateway reads it (packages/core/src/config.ts): an empty string is unset. */
function variable(env, name, fallback, parse, expected) {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = parse(value);
  if (parsed === undefined) throw new Error(`${name}="${value}": ${expected}`);
  return parsed;
}

const integer = (min, max) => (value) => {
  const number = Number(value);
  return Number.isInteger(number) && number >= min && number <= max ? number : undefined;
};

/**
 * AUTH_CLOCK_SKEW_SECONDS (0 to 300, default 30), AUTH_REQUIRE_EXP (true, false, 1 or 0, default
 * true) and AUTH_MAX_TOKEN_LIFETIME_SECONDS (a positive integer, default 86400), with our gateway's
 * defaults; a value our gateway refuses at start-up is refused here too.
 */
export function tokenLifetimeSettings(env) {
  return {
    clockSkewSeconds: variable(
      env,
      'AUTH_CLOCK_SKEW_SECONDS',
      30,
      integer(0, 300),
      'expected an integer from 0 to 300',
    ),
    requireExp: variable(
      env,
      'AUTH_REQUIRE_EXP',
      true,
      (value) => (value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : undefined),
      'expected true, false, 1 or 0',
    ),
    maxLifetimeSeconds: variable(
      env,
      'AUTH_MAX_TOKEN_LIFETIME_SECONDS',
      86_400,
      integer(1, Number.MAX_SAFE_INTEGER),
      'expected a positive integer',
    ),
  };
}

/**
 * Why our gateway would refuse a token with this payload on time grounds, or undefined: no `exp`
 * (with `requireExp`), an `exp` or `iat` that is not a number (jose refuses those; jsonwebtoken
 * lets an `iat` of any type through), an `iat` ahead of `now` beyond the skew, or an `exp` more
 * than the maximum after `iat` (after now plus the skew without `iat`). Expiry itself and `nbf`
 * are left to Hive's verification (`clockTolerance`).
 */
export function lifetimeProblem(payload, settings, now = Math.floor(Date.now() / 1000)) {
  const { clockSkewSeconds: skew, maxLifetimeSeconds: max, requireExp } = settings;
  const { exp, iat } = payload;
  if (exp === undefined && requireExp) return 'missing required "exp" claim';
  if (exp !== undefined && typeof exp !== 'number') return '"exp" claim must be a number';
  if (iat !== undefined && typeof iat !== 'number') return '"iat" claim must be a number';
  if (iat !== undefined && iat > now + skew) return '"iat" claim is in the future';
  if (exp === undefined) return undefined;
  const lifetime = iat === undefined ? exp - now - skew : exp - iat;
  return lifetime > max ? `"exp" claim is more than ${max} s after "iat" (or now)` : undefined;
}

/** A JWT's payload, not verified; undefined when the token is not a JWT with an object payload. */
export function unverifiedPayload(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hive's own answer to a token it refuses (`@graphql-yoga/plugin-jwt`: one error `Unauthenticated`
 * with `extensions.http.status` 401, no code), so such a token is refused exactly like a bad
 * signature or an expired one. Over HTTP and SSE Hive answers 401 and takes `extensions.http` off
 * the body (here the status sits on the result, which it reads and drops); over graphql-ws it
 * sends each error whole (`toJSON()`), `extensions.http` included, and completes the operation.
 */
export function refusal(overWebSocket) {
  const error = { message: 'Unauthenticated', extensions: { http: { status: 401 } } };
  return overWebSocket
    ? { errors: [{ ...error, toJSON: () => error }] }
    : { errors: [{ message: error.message }], extensions: { http: { status: 401 } } };
}

/**
 * The plugin: before each operation (`onParams`, over HTTP, SSE and graphql-ws alike) it checks the
 * token's payload with {@link lifetimeProblem}; a refusal answers {@link refusal} and logs why, as
 * Hive logs its own refusals. Over HTTP and SSE the payload is the one Hive's JWT plugin verified
 * (`context.jwt`). Over a WebSocket that plugin verifies connection_init's token only later, so the
 * payload is read from the token `tokenOf` finds (a forged token is refused by Hive anyway). No
 * token, or one that is not a JWT, is left to Hive.
 */
export function useTokenLifetime({ settings, tokenOf, log }) {
  return {
    onParams({ context, setResult }) {
      const token = context.jwt ? undefined : tokenOf(context);
      const payload = context.jwt?.payload ?? (token ? unverifiedPayload(token) : undefined);
      if (!payload) return;
      const problem = lifetimeProblem(payload, settings);
      if (!problem) return;
      log?.warn(`Failed to verify authentication token: ${problem}`);
      // Hive's WebSocket server puts a `connectionParams` key on the context of each of its operations.
      setResult(refusal('connectionParams' in context));
    },
  };
}
