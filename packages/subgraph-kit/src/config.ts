import { defineSection, envDocs, envVar, parseConfig, serverSection, type Env, type ServerSettings } from '@cip/core';
import { z } from 'zod';
import { PgliteDatabase, PostgresDatabase, type Database } from './database.js';
import { openPglite } from './pglite.js';

/** Where an office keeps its data: PostgreSQL in production, or an embedded PGlite store. */
export type StoreSettings =
  | {
      readonly kind: 'postgres';
      readonly connectionString: string;
      readonly poolSize: number;
      readonly statementTimeoutMs: number;
    }
  /** `memory://` keeps nothing between runs. */
  | { readonly kind: 'pglite'; readonly dataDir: string };

const storeSection = defineSection({
  shape: {
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// or postgresql:// URL')
      .optional()
      .register(envDocs, {
        description: 'PostgreSQL (postgres://…) for production',
        secret: 'url',
        shownDefault: 'unset: an embedded PGlite store',
      }),
    PGLITE_DATA_DIR: z.string().min(1).default('memory://').register(envDocs, {
      description: 'where the embedded store keeps its files; `memory://` keeps nothing between runs',
    }),
    DATABASE_POOL_SIZE: envVar.positiveInt(10).register(envDocs, {
      description: 'PostgreSQL connections the office may hold',
    }),
    DATABASE_STATEMENT_TIMEOUT_MS: envVar.positiveInt(5_000).register(envDocs, {
      description: 'PostgreSQL statement timeout',
    }),
  },
  rules: (rule) => [
    rule.oneOf(['DATABASE_URL', 'PGLITE_DATA_DIR'], 'an office runs on PostgreSQL or on its embedded store, not both'),
    rule.onlyWith(
      ['DATABASE_POOL_SIZE', 'DATABASE_STATEMENT_TIMEOUT_MS'],
      ['DATABASE_URL'],
      'the embedded store has no pool and no statement timeout',
    ),
  ],
  build: (values): StoreSettings =>
    values.DATABASE_URL
      ? {
          kind: 'postgres',
          connectionString: values.DATABASE_URL,
          poolSize: values.DATABASE_POOL_SIZE,
          statementTimeoutMs: values.DATABASE_STATEMENT_TIMEOUT_MS,
        }
      : { kind: 'pglite', dataDir: values.PGLITE_DATA_DIR },
});

const securitySection = defineSection({
  shape: {
    GATEWAY_SIGNING_SECRET: z.string().min(32, 'expected at least 32 characters').optional().register(envDocs, {
      description:
        'the secret shared with the gateway (at least 32 characters): unsigned requests get 401; required in production',
      secret: true,
      shownDefault: 'unset outside production: unsigned requests accepted (with a warning)',
    }),
  },
  /** null: this office accepts requests that did not come through the gateway (development only). */
  build: (values): { readonly signingSecret: string | null } => ({
    signingSecret: values.GATEWAY_SIGNING_SECRET ?? null,
  }),
});

const peersSection = defineSection({
  shape: {
    SUBGRAPH_PEER_URLS: envVar
      .namedValues('name=http(s)://url', (url) => (/^https?:\/\/\S+$/.test(url) ? url : undefined), /^[a-z][a-z0-9-]*$/)
      .default({})
      .register(envDocs, {
        description:
          "`name=url,…`: other offices' subgraphs this one checks references with, e.g. `partners=http://partners:4001/graphql`",
      }),
  },
  /** By office name: the subgraphs this office checks references with (writes/peers.ts). */
  build: (values): Readonly<Record<string, string>> => values.SUBGRAPH_PEER_URLS,
});

const observabilitySection = defineSection({
  shape: {
    OTEL_EXPORTER_OTLP_ENDPOINT: envVar.otlpEndpoint(),
  },
  build: (values): { readonly otlpEndpoint: string | undefined } => ({
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT,
  }),
});

/** An office's process configuration, one section per concern, from the environment once at start-up. */
export const subgraphConfigSections = (defaultPort: number) => ({
  server: serverSection({ port: defaultPort }),
  store: storeSection,
  security: securitySection,
  peers: peersSection,
  observability: observabilitySection,
});

export interface SubgraphConfig {
  readonly server: ServerSettings;
  readonly store: StoreSettings;
  readonly security: { readonly signingSecret: string | null };
  readonly peers: Readonly<Record<string, string>>;
  readonly observability: { readonly otlpEndpoint: string | undefined };
}

export function parseSubgraphConfig(name: string, defaultPort: number, env: Env): SubgraphConfig {
  return parseConfig(`subgraph ${name}`, subgraphConfigSections(defaultPort), env, (rule) => [
    rule.check(['NODE_ENV'], (values, isSet) =>
      values.NODE_ENV === 'production' && !isSet('GATEWAY_SIGNING_SECRET')
        ? {
            variable: 'GATEWAY_SIGNING_SECRET',
            message: 'required in production, so that only the gateway can call this subgraph',
          }
        : undefined,
    ),
  ]);
}

export async function openStore(store: StoreSettings): Promise<Database> {
  if (store.kind === 'postgres') {
    return new PostgresDatabase({
      connectionString: store.connectionString,
      poolSize: store.poolSize,
      statementTimeoutMs: store.statementTimeoutMs,
    });
  }
  return new PgliteDatabase(await openPglite(store.dataDir));
}
