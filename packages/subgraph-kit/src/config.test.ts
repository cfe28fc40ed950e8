import { describeVariables } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { parseSubgraphConfig, subgraphConfigSections } from './config.js';

const KEY = 'an-office-signing-key-long-enough-for-tests';
const NEXT_KEY = 'the-next-office-signing-key-during-a-rotation';
const parse = (env: Record<string, string>) => parseSubgraphConfig('partners', 4001, env);

describe('subgraph config', () => {
  it('runs an office on its embedded store with no environment at all', () => {
    expect(parse({})).toEqual({
      server: {
        mode: 'development',
        host: '127.0.0.1',
        port: 4001,
        logLevel: 'info',
        maxBodyBytes: 1_048_576,
        stackTraces: false,
      },
      store: { kind: 'pglite', dataDir: 'memory://' },
      security: { keys: null, peerKeys: {}, lifetimeMs: 30_000, clockSkewMs: 5_000, replays: { kind: 'memory' } },
      peers: {},
      observability: { otlpEndpoint: undefined },
      subscriptions: { maxPerConnection: 10, maxBufferedEvents: 1_000 },
    });
  });

  it('takes the live changes limits (docs/live-changes.md)', () => {
    expect(
      parse({ OFFICE_SUBSCRIPTIONS_PER_CONNECTION: '3', OFFICE_SUBSCRIPTION_BUFFERED_EVENTS: '50' }).subscriptions,
    ).toEqual({ maxPerConnection: 3, maxBufferedEvents: 50 });
    expect(configProblems(() => parse({ OFFICE_SUBSCRIPTIONS_PER_CONNECTION: '0' }))).toEqual([
      expect.stringContaining('OFFICE_SUBSCRIPTIONS_PER_CONNECTION'),
    ]);
  });

  it('runs on PostgreSQL with DATABASE_URL, with its pool and statement timeout', () => {
    expect(parse({ DATABASE_URL: 'postgres://u:p@db/partners', DATABASE_POOL_SIZE: '4' }).store).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://u:p@db/partners',
      poolSize: 4,
      statementTimeoutMs: 5_000,
    });
  });

  it('refuses every invalid mix in one message: two stores, PostgreSQL tuning without PostgreSQL, production unsigned', () => {
    expect(
      configProblems(() =>
        parse({ NODE_ENV: 'production', PGLITE_DATA_DIR: '/data', DATABASE_STATEMENT_TIMEOUT_MS: '100' }),
      ),
    ).toEqual([
      'DATABASE_STATEMENT_TIMEOUT_MS: has no effect without DATABASE_URL: the embedded store has no pool and no statement timeout',
      'OFFICE_SIGNING_KEYS: required in production, so that only the gateway can call this subgraph',
    ]);
    expect(configProblems(() => parse({ DATABASE_URL: 'postgres://db/partners', PGLITE_DATA_DIR: '/data' }))).toEqual([
      'PGLITE_DATA_DIR: cannot be set together with DATABASE_URL: an office runs on PostgreSQL or on its embedded store, not both',
    ]);
    expect(parse({ NODE_ENV: 'production', OFFICE_SIGNING_KEYS: KEY }).security.keys).toEqual([KEY]);
  });

  it('takes two keys during a rotation, peer keys by office, a lifetime and skew, and Redis for replicas', () => {
    expect(
      parse({
        OFFICE_SIGNING_KEYS: `${NEXT_KEY}, ${KEY}`,
        OFFICE_PEER_SIGNING_KEYS: `agreements=${KEY},sectors=${NEXT_KEY}`,
        OFFICE_SIGNATURE_LIFETIME_SECONDS: '10',
        OFFICE_SIGNATURE_CLOCK_SKEW_SECONDS: '0',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }).security,
    ).toEqual({
      keys: [NEXT_KEY, KEY],
      peerKeys: { agreements: KEY, sectors: NEXT_KEY },
      lifetimeMs: 10_000,
      clockSkewMs: 0,
      replays: { kind: 'redis', url: 'redis://127.0.0.1:6379', keyPrefix: 'cip:office:' },
    });
    expect(configProblems(() => parse({ OFFICE_SIGNING_KEYS: `${KEY},${KEY}x,${NEXT_KEY}` }))).toEqual([
      'OFFICE_SIGNING_KEYS: expected one or two keys of at least 32 characters, comma-separated',
    ]);
    expect(configProblems(() => parse({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual([
      'REDIS_URL: has no effect without OFFICE_SIGNING_KEYS: without OFFICE_SIGNING_KEYS no signature is checked',
    ]);
  });

  it('names a bad DATABASE_URL, signing key or OTLP endpoint without its value', () => {
    const problems = configProblems(() =>
      parse({
        DATABASE_URL: 'mysql://admin:db-pa55word@db/partners',
        OFFICE_SIGNING_KEYS: 'short-signing-secret',
        OFFICE_PEER_SIGNING_KEYS: 'agreements=short-peer-secret',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector?key=otel-pa55word',
      }),
    );
    expect(problems).toEqual([
      'DATABASE_URL: expected a postgres:// or postgresql:// URL',
      'OFFICE_SIGNING_KEYS: expected one or two keys of at least 32 characters, comma-separated',
      'OFFICE_PEER_SIGNING_KEYS: expected office=key (keys of at least 32 characters) pairs separated by commas; got the pair for "agreements"',
      'OTEL_EXPORTER_OTLP_ENDPOINT: Invalid URL',
    ]);
    expect(problems.join('\n')).not.toMatch(/pa55word|short-signing|short-peer/);
  });

  it('documents every variable with its default, for --help', () => {
    const variables = describeVariables(subgraphConfigSections(4001));
    expect(variables.map((variable) => variable.name)).toContain('SUBGRAPH_PEER_URLS');
    expect(variables.find((variable) => variable.name === 'PORT')?.default).toBe('4001');
  });
});
