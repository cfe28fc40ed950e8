import { envVar, parseEnv, type Env } from '@cip/core';
import { SUPERGRAPH_FILE } from '@cip/schema';
import { z } from 'zod';
import { TRUSTED_DOCUMENTS_FILE } from './security/trustedDocumentsFile.js';
import { subgraphTimeoutOverrides } from './resilience/timeouts.js';

/** `name=url,name=url`: where to reach subgraphs when not at the supergraph's routing URLs. */
const subgraphUrls = z
  .string()
  .transform((value, context) => {
    const entries = value.split(',').map((pair) => pair.trim().split('='));
    const urls: Record<string, string> = {};
    for (const entry of entries) {
      const [name, url] = entry;
      if (entry.length !== 2 || !name || !url || !URL.canParse(url)) {
        context.addIssue({
          code: 'custom',
          message: `expected name=url pairs separated by commas; got "${entry.join('=')}"`,
        });
        return z.NEVER;
      }
      urls[name] = url;
    }
    return urls;
  })
  .default({});

const gatewayConfigShape = {
  NODE_ENV: envVar.mode(),
  HOST: envVar.host(),
  PORT: envVar.port(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `file` serves the committed supergraph; `introspect` composes from the running subgraphs (development). */
  SUPERGRAPH_SOURCE: z.enum(['file', 'introspect']).default('file'),
  /**
   * `fast` runs query plans with our executor (execution/), which hands what it does not cover to
   * stock; `stock` with @apollo/gateway's own, the way back if ours ever answers differently.
   */
  PLAN_EXECUTOR: z.enum(['stock', 'fast']).default('fast'),
  SUPERGRAPH_PATH: z.string().min(1).default(SUPERGRAPH_FILE),
  SUBGRAPH_URLS: subgraphUrls,
  /** Keep-alive connections the gateway may hold open to each subgraph. */
  SUBGRAPH_CONNECTIONS: envVar.positiveInt(32),
  SUBGRAPH_KEEP_ALIVE_MS: envVar.positiveInt(30_000),
  MAX_BODY_BYTES: envVar.positiveInt(1_048_576),
  // Security (see docs/security.md): tokens, signing, header propagation, trusted documents, limits.
  /** RS256 / ES256 public keys as a JWKS file, or at a JWKS URL; or an HS256 secret (development). */
  AUTH_JWKS_FILE: z.string().min(1).optional(),
  AUTH_JWKS_URL: envVar.url().optional(),
  AUTH_HS256_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /** When set, tokens must carry this `iss` / `aud`. */
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  /** The claim holding scopes: a space-separated string or an array. */
  AUTH_SCOPES_CLAIM: z.string().min(1).default('scope'),
  /** The scope that may send ad-hoc documents in trusted-documents mode and introspect in production. */
  AUTH_ANALYST_SCOPE: z.string().min(1).default('analyst'),
  /** HMAC secret shared with the subgraphs; unset, the process makes one (enough for the embedded stack). */
  GATEWAY_SIGNING_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /** Client headers copied to subgraph requests, comma-separated (never `authorization` unless named). */
  PROPAGATE_HEADERS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .default([]),
  /** `off`, `allow` (trusted documents by hash) or `enforce` (only trusted documents, except for analysts). */
  TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'enforce']).default('allow'),
  TRUSTED_DOCUMENTS_PATH: z.string().min(1).default(TRUSTED_DOCUMENTS_FILE),
  LIMIT_MAX_DEPTH: envVar.positiveInt(12),
  LIMIT_MAX_ALIASES: envVar.positiveInt(30),
  LIMIT_MAX_ROOT_FIELDS: envVar.positiveInt(20),
  LIMIT_MAX_DIRECTIVES: envVar.positiveInt(30),
  LIMIT_MAX_TOKENS: envVar.positiveInt(5_000),
  LIMIT_MAX_COST: envVar.positiveInt(1_000_000),
  LIMIT_MAX_BATCH: envVar.positiveInt(10),
  LIMIT_ASSUMED_LIST_SIZE: envVar.positiveInt(10),
  // Explorer and query plans (see docs/explorer.md and explorerAccess.ts).
  /** The explorer at `/`: `on`, `off` or `analysts`; unset means on, except in production (off). */
  EXPLORER: z.enum(['on', 'off', 'analysts']).optional(),
  /** Query plans on request (`query-plan: include`): `on`, `off` or `analysts`; unset means on, except in production (analysts). */
  QUERY_PLANS: z.enum(['on', 'off', 'analysts']).optional(),
  /** The built explorer; unset means the `dist/` folder of the @cip/explorer package. */
  EXPLORER_DIST_DIR: z.string().min(1).optional(),
  // Resilience (see docs/operating.md): timeouts, retries, circuit breaker.
  /** Time one attempt to a subgraph may take, unless `SUBGRAPH_TIMEOUTS` names that subgraph. */
  SUBGRAPH_TIMEOUT_MS: envVar.positiveInt(10_000),
  SUBGRAPH_TIMEOUTS: subgraphTimeoutOverrides,
  /** Time a whole incoming request may take; subgraph attempts and retries are cut to it. */
  REQUEST_DEADLINE_MS: envVar.positiveInt(30_000),
  /** Retries after a failed query fetch (connection error, 429, 502, 503, 504); 0 turns them off. */
  SUBGRAPH_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  SUBGRAPH_RETRY_BASE_MS: envVar.positiveInt(50),
  SUBGRAPH_RETRY_MAX_MS: envVar.positiveInt(1_000),
  /** A subgraph's `Retry-After` longer than this is not waited for. */
  SUBGRAPH_RETRY_AFTER_MAX_MS: envVar.positiveInt(5_000),
  /** Retries earned per request (0.2: one retry per five requests in steady state), and the budget's size. */
  SUBGRAPH_RETRY_BUDGET_RATIO: z.coerce.number().min(0).max(10).default(0.2),
  SUBGRAPH_RETRY_BUDGET_MAX: envVar.positiveInt(20),
  /** Consecutive failed attempts that open a subgraph's breaker, and how long it stays open. */
  BREAKER_FAILURE_THRESHOLD: envVar.positiveInt(5),
  BREAKER_COOL_DOWN_MS: envVar.positiveInt(10_000),
  /** Time a `/ready` probe of one subgraph may take. */
  READY_PROBE_TIMEOUT_MS: envVar.positiveInt(2_000),
  /** Time in-flight requests get to finish on shutdown before their connections are cut (under the 10 s hard stop). */
  SHUTDOWN_DRAIN_MS: envVar.positiveInt(8_000),
  /** OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); unset, no trace leaves the process. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envVar.url().optional(),
  /** `file` mode: re-read the supergraph file when it changes (checked every SUPERGRAPH_POLL_MS). */
  SUPERGRAPH_WATCH: envVar.flag(true),
  /** Poll this URL for the supergraph instead of reading SUPERGRAPH_PATH. */
  SUPERGRAPH_URL: envVar.url().optional(),
  SUPERGRAPH_POLL_MS: envVar.positiveInt(2_000),
  /** `introspect` mode: where each subgraph's last good SDL is kept (default: <os tmp>/cip-gateway-sdl). */
  SDL_CACHE_DIR: z.string().min(1).optional(),
  // State replicas share (see docs/operating.md and sharedState/): unset, each replica keeps its own in memory.
  /** e.g. redis://redis:6379/0; APQ registrations are kept there, shared by every replica. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://host:port' }).optional(),
  /** Prepended to every key the gateway writes, so several deployments can share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).default('cip:gateway:'),
  /** A Redis command slower than this counts as failed (a miss); the request goes on without it. */
  REDIS_COMMAND_TIMEOUT_MS: envVar.positiveInt(500),
  /** How long an APQ registration lives in Redis after it was last registered. */
  REDIS_APQ_TTL_SECONDS: envVar.positiveInt(86_400),
  /** `on` caches whole query answers, tagged by the entities they show (in Redis with REDIS_URL, else in memory). */
  RESPONSE_CACHE: z.enum(['off', 'on']).default('off'),
  RESPONSE_CACHE_TTL_SECONDS: envVar.positiveInt(60),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export function parseGatewayConfig(env: Env): GatewayConfig {
  return parseEnv('gateway', gatewayConfigShape, env);
}
