import { describeVariables } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { parseSubgraphConfig, subgraphConfigSections } from './config.js';

const SECRET = 'a-gateway-signing-secret-long-enough-for-tests';
const parse = (env: Record<string, string>) => parseSubgraphConfig('partners', 4001, env);

describe('subgraph config', () => {
  it('runs an office on its embedded store with no environment at all', () => {
    expect(parse({})).toEqual({
      server: { mode: 'development', host: '127.0.0.1', port: 4001, logLevel: 'info', maxBodyBytes: 1_048_576 },
      store: { kind: 'pglite', dataDir: 'memory://' },
      security: { signingSecret: null },
      peers: {},
      observability: { otlpEndpoint: undefined },
    });
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
      'GATEWAY_SIGNING_SECRET: required in production, so that only the gateway can call this subgraph',
    ]);
    expect(configProblems(() => parse({ DATABASE_URL: 'postgres://db/partners', PGLITE_DATA_DIR: '/data' }))).toEqual([
      'PGLITE_DATA_DIR: cannot be set together with DATABASE_URL: an office runs on PostgreSQL or on its embedded store, not both',
    ]);
    expect(parse({ NODE_ENV: 'production', GATEWAY_SIGNING_SECRET: SECRET }).security.signingSecret).toBe(SECRET);
  });

  it('names a bad DATABASE_URL, GATEWAY_SIGNING_SECRET or OTLP endpoint without its value', () => {
    const problems = configProblems(() =>
      parse({
        DATABASE_URL: 'mysql://admin:db-pa55word@db/partners',
        GATEWAY_SIGNING_SECRET: 'short-signing-secret',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector?key=otel-pa55word',
      }),
    );
    expect(problems).toEqual([
      'DATABASE_URL: expected a postgres:// or postgresql:// URL',
      'GATEWAY_SIGNING_SECRET: expected at least 32 characters',
      'OTEL_EXPORTER_OTLP_ENDPOINT: Invalid URL',
    ]);
    expect(problems.join('\n')).not.toMatch(/pa55word|short-signing/);
  });

  it('documents every variable with its default, for --help', () => {
    const variables = describeVariables(subgraphConfigSections(4001));
    expect(variables.map((variable) => variable.name)).toContain('SUBGRAPH_PEER_URLS');
    expect(variables.find((variable) => variable.name === 'PORT')?.default).toBe('4001');
  });
});
