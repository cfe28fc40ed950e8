import { defineSection, envDocs, envVar, parseConfig, serverSection, type Env, type ServerSettings } from '@cip/core';
import { z } from 'zod';
import { PgliteDatabase, PostgresDatabase, type Database } from './database.js';
import { openPglite } from './pglite.js';
import { subscriptionsSection, type SubscriptionSettings } from './changes/config.js';

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

/** A signing key as `npm run signing:key` prints it (43 characters); shorter ones are refused. */
const signingKeyText = (text: string) => (text.length >= 32 && !/\s/.test(text) ? text : undefined);

/** What an office checks on each request and signs its peer lookups with (docs/security.md). */
export interface OfficeSigningSettings {
  /** Its own key(s), the one it signs peer lookups with first; null: unsigned requests accepted (development only). */
  readonly keys: readonly string[] | null;
  /** By peer office: the key this office signs its lookups to that office with. */
  readonly peerKeys: Readonly<Record<string, string>>;
  readonly lifetimeMs: number;
  readonly clockSkewMs: number;
  /** Where the ids of accepted requests are kept: shared by replicas in Redis, else in this process. */
  readonly replays:
    { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string };
}

const securitySection = defineSection({
  shape: {
    OFFICE_SIGNING_KEYS: z
      .string()
      .transform((text, context) => {
        const keys = text
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean);
        if (keys.length < 1 || keys.length > 2 || keys.some((key) => signingKeyText(key) === undefined)) {
          // Never the value: it is a secret.
          context.addIssue({
            code: 'custom',
            message: 'expected one or two keys of at least 32 characters, comma-separated',
          });
          return z.NEVER;
        }
        return keys;
      })
      .optional()
      .register(envDocs, {
        description:
          "this office's key (`npm run signing:key -- --office <name>`), or two comma-separated during a rotation: requests not signed with it get 401; required in production",
        secret: true,
        shownDefault: 'unset outside production: unsigned requests accepted (with a warning)',
      }),
    OFFICE_PEER_SIGNING_KEYS: envVar
      .namedValues('office=key (keys of at least 32 characters)', signingKeyText, /^[a-z][a-z0-9-]*$/, {
        secret: true,
      })
      .default({})
      .register(envDocs, {
        description:
          '`office=key,…`: the keys this office signs its reference lookups to other offices with (`npm run signing:key -- --office <name> --peers <list>`)',
        secret: true,
        shownDefault: 'none: lookups go out unsigned (refused by offices that check signatures)',
      }),
    OFFICE_SIGNATURE_LIFETIME_SECONDS: z.coerce.number().int().min(1).max(300).default(30).register(envDocs, {
      description: 'how long after signing a request is accepted, 1 to 300',
    }),
    OFFICE_SIGNATURE_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(60).default(5).register(envDocs, {
      description: "how far the gateway's clock may be from this office's, either way, 0 to 60",
    }),
    REDIS_URL: envVar.redisUrl({
      description: 'e.g. redis://redis:6379/0: the ids of accepted requests, shared by every replica of this office',
      shownDefault: 'unset: each replica remembers them in memory',
    }),
    REDIS_KEY_PREFIX: z.string().min(1).default('cip:office:').register(envDocs, {
      description: "prepended to every key the office writes (then the office's name)",
    }),
  },
  rules: (rule) => [
    rule.onlyWith(
      ['OFFICE_SIGNATURE_LIFETIME_SECONDS', 'OFFICE_SIGNATURE_CLOCK_SKEW_SECONDS', 'REDIS_URL'],
      ['OFFICE_SIGNING_KEYS'],
      'without OFFICE_SIGNING_KEYS no signature is checked',
    ),
    rule.onlyWith(['REDIS_KEY_PREFIX'], ['REDIS_URL'], 'without Redis each replica remembers requests in memory'),
  ],
  build: (values): OfficeSigningSettings => ({
    keys: values.OFFICE_SIGNING_KEYS ?? null,
    peerKeys: values.OFFICE_PEER_SIGNING_KEYS,
    lifetimeMs: values.OFFICE_SIGNATURE_LIFETIME_SECONDS * 1_000,
    clockSkewMs: values.OFFICE_SIGNATURE_CLOCK_SKEW_SECONDS * 1_000,
    replays: values.REDIS_URL
      ? { kind: 'redis', url: values.REDIS_URL, keyPrefix: values.REDIS_KEY_PREFIX }
      : { kind: 'memory' },
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
  subscriptions: subscriptionsSection,
});

export interface SubgraphConfig {
  readonly server: ServerSettings;
  readonly store: StoreSettings;
  readonly security: OfficeSigningSettings;
  readonly peers: Readonly<Record<string, string>>;
  readonly observability: { readonly otlpEndpoint: string | undefined };
  readonly subscriptions: SubscriptionSettings;
}

export function parseSubgraphConfig(name: string, defaultPort: number, env: Env): SubgraphConfig {
  return parseConfig(`subgraph ${name}`, subgraphConfigSections(defaultPort), env, (rule) => [
    rule.check(['NODE_ENV'], (values, isSet) =>
      values.NODE_ENV === 'production' && !isSet('OFFICE_SIGNING_KEYS')
        ? {
            variable: 'OFFICE_SIGNING_KEYS',
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
