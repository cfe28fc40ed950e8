import { envVar, parseEnv, type Env } from '@cip/core';
import { z } from 'zod';
import { PgliteDatabase, PostgresDatabase, type Database } from './database.js';
import { openPglite } from './pglite.js';

export const subgraphConfigShape = (defaultPort: number) => ({
  NODE_ENV: envVar.mode(),
  HOST: envVar.host(),
  PORT: envVar.port(defaultPort),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** PostgreSQL in production; unset, the subgraph runs on an embedded PGlite store. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  /** Where the embedded store keeps its files; `memory://` (the default) keeps nothing between runs. */
  PGLITE_DATA_DIR: z.string().min(1).default('memory://'),
  DATABASE_POOL_SIZE: envVar.positiveInt(10),
  DATABASE_STATEMENT_TIMEOUT_MS: envVar.positiveInt(5_000),
  MAX_BODY_BYTES: envVar.positiveInt(1_048_576),
  /**
   * The secret shared with the gateway: requests without its signature get 401. Required in
   * production; unset in development, the subgraph accepts unsigned requests (and says so).
   */
  GATEWAY_SIGNING_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  /**
   * Other offices' subgraphs this one checks references with (writes/peers.ts), as
   * `name=url` pairs separated by commas, e.g. `partners=http://partners:4001/graphql`.
   */
  SUBGRAPH_PEER_URLS: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const peers: Record<string, string> = {};
      for (const pair of value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)) {
        const match = /^([a-z][a-z0-9-]*)=(https?:\/\/\S+)$/.exec(pair);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `expected name=http(s)://url pairs, got ${pair}` });
          return z.NEVER;
        }
        peers[match[1]!] = match[2]!;
      }
      return peers;
    }),
  /** OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); unset, no trace leaves the process. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envVar.url().optional(),
});

export type SubgraphConfig = z.infer<z.ZodObject<ReturnType<typeof subgraphConfigShape>>>;

export function parseSubgraphConfig(name: string, defaultPort: number, env: Env): SubgraphConfig {
  return parseEnv(`subgraph ${name}`, subgraphConfigShape(defaultPort), env);
}

export async function openStore(
  config: Pick<
    SubgraphConfig,
    'DATABASE_URL' | 'PGLITE_DATA_DIR' | 'DATABASE_POOL_SIZE' | 'DATABASE_STATEMENT_TIMEOUT_MS'
  >,
): Promise<Database> {
  if (config.DATABASE_URL) {
    return new PostgresDatabase({
      connectionString: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    });
  }
  return new PgliteDatabase(await openPglite(config.PGLITE_DATA_DIR));
}
