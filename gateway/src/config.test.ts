import { ConfigError, describeVariables } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { gatewaySections, parseGatewayConfig } from './config.js';

describe('gateway config', () => {
  it('runs the embedded system with no environment', () => {
    const config = parseGatewayConfig({});
    const { origin, subgraphUrls } = config.supergraph;
    expect({
      PORT: config.server.port,
      HOST: config.server.host,
      SUPERGRAPH_SOURCE: origin.kind,
      SUBGRAPH_URLS: subgraphUrls,
    }).toMatchObject({ PORT: 4000, HOST: '127.0.0.1', SUPERGRAPH_SOURCE: 'file', SUBGRAPH_URLS: {} });
    expect(origin.kind === 'file' && origin.path).toMatch(/schema\/supergraph\.graphql$/);
  });

  it('reads subgraph URL overrides as name=url pairs', () => {
    expect(
      parseGatewayConfig({ SUBGRAPH_URLS: 'partners=http://10.1.2.3:9000/graphql, sectors=http://s/graphql' })
        .supergraph.subgraphUrls,
    ).toEqual({
      partners: 'http://10.1.2.3:9000/graphql',
      sectors: 'http://s/graphql',
    });
  });

  it.each(['partners', 'partners=not a url', '=http://x/graphql'])('refuses SUBGRAPH_URLS=%s, naming it', (value) => {
    expect(() => parseGatewayConfig({ SUBGRAPH_URLS: value })).toThrow(ConfigError);
    expect(() => parseGatewayConfig({ SUBGRAPH_URLS: value })).toThrow(/SUBGRAPH_URLS=/);
  });
});

describe('gateway config: one section per concern, invalid mixes refused at start-up', () => {
  const SECRET = 'an-hs256-secret-that-is-long-enough-for-tests';

  it('hands each concern its own section', () => {
    const config = parseGatewayConfig({
      AUTH_HS256_SECRET: SECRET,
      SUBGRAPH_TIMEOUT_MS: '500',
      REDIS_URL: 'redis://r:6379',
    });
    expect(Object.keys(config)).toEqual([
      'server',
      'execution',
      'supergraph',
      'security',
      'resilience',
      'observability',
      'explorer',
      'sharedState',
      'usage',
      'cors',
      'subscriptions',
    ]);
    expect(config.security.auth.keys).toEqual({ source: 'hs256', secret: SECRET });
    expect(config.resilience.guards.timeouts.defaultMs).toBe(500);
    expect(config.sharedState.redis?.url).toBe('redis://r:6379');
  });

  // Regression (issue 13, item 8): a refused AUTH_HS256_SECRET used to be printed in the message.
  it('refuses a too-short AUTH_HS256_SECRET without printing it', () => {
    const problems = configProblems(() => parseGatewayConfig({ AUTH_HS256_SECRET: 'short-but-still-secret' }));
    expect(problems).toEqual(['AUTH_HS256_SECRET: expected at least 32 characters']);
    expect(problems.join('\n')).not.toContain('short-but-still-secret');
  });

  it('names every bad secret or credential-carrying URL, never its value', () => {
    const values = {
      AUTH_HS256_SECRET: 'hs256-secret-too-short',
      GATEWAY_SIGNING_SECRET: 'signing-secret-too-short',
      AUTH_JWKS_URL: 'jwks-with-s3cret-token',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'collector-with-s3cret-key',
      SUPERGRAPH_URL: 'deploy-with-s3cret-token',
      REDIS_URL: 'http://:redis-s3cret@redis:6379',
    };
    let message = '';
    try {
      parseGatewayConfig(values);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as ConfigError).message;
    }
    for (const [name, value] of Object.entries(values)) {
      expect(message).toMatch(new RegExp(`^  - ${name}: `, 'm'));
      expect(message).not.toContain(value);
    }
    expect(message).not.toMatch(/s3cret|too-short/);
  });

  it('refuses every invalid mix, all of them in one message', () => {
    const problems = configProblems(() =>
      parseGatewayConfig({
        AUTH_JWKS_FILE: 'jwks.json',
        AUTH_HS256_SECRET: SECRET,
        SUPERGRAPH_SOURCE: 'introspect',
        SUPERGRAPH_URL: 'https://deploy.invalid/supergraph.graphql',
        TRUSTED_DOCUMENTS: 'off',
        TRUSTED_DOCUMENTS_PATH: 'other.json',
        REDIS_KEY_PREFIX: 'a:',
        RESPONSE_CACHE_TTL_SECONDS: '5',
        SUBGRAPH_RETRY_BASE_MS: '5000',
        NODE_ENV: 'production',
        EXPLORER_DIST_DIR: '/srv/explorer',
        PORT: 'eighty',
      }),
    );
    expect(problems.map((problem) => problem.split(/[:=]/)[0])).toEqual([
      'PORT',
      'SUPERGRAPH_URL',
      'AUTH_HS256_SECRET',
      'TRUSTED_DOCUMENTS_PATH',
      'SUBGRAPH_RETRY_BASE_MS',
      'REDIS_KEY_PREFIX',
      'RESPONSE_CACHE_TTL_SECONDS',
      'EXPLORER_DIST_DIR',
    ]);
    expect(problems.join('\n')).not.toContain(SECRET);
  });

  it('refuses EXPLORER_DIST_DIR while the explorer is off, explicitly or by production default', () => {
    expect(configProblems(() => parseGatewayConfig({ EXPLORER: 'off', EXPLORER_DIST_DIR: '/srv/explorer' }))).toEqual([
      'EXPLORER_DIST_DIR: has no effect while the explorer is off (EXPLORER=off)',
    ]);
    expect(
      parseGatewayConfig({ NODE_ENV: 'production', EXPLORER: 'analysts', EXPLORER_DIST_DIR: '/srv/explorer' }).explorer
        .distDir,
    ).toBe('/srv/explorer');
  });

  it('documents every variable with its default, for --help', () => {
    const variables = describeVariables(gatewaySections);
    expect(variables.length).toBeGreaterThanOrEqual(57);
    for (const variable of variables) {
      expect(variable.description.length, variable.name).toBeGreaterThan(10);
      expect(variable.default.length, variable.name).toBeGreaterThan(0);
    }
    expect(variables.find((variable) => variable.name === 'SUBGRAPH_TIMEOUT_MS')?.default).toBe('10000');
  });
});
