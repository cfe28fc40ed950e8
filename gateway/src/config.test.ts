import { ConfigError } from '@cip/core';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config.js';

describe('gateway config', () => {
  it('runs the embedded system with no environment', () => {
    const config = parseGatewayConfig({});
    expect(config).toMatchObject({ PORT: 4000, HOST: '127.0.0.1', SUPERGRAPH_SOURCE: 'file', SUBGRAPH_URLS: {} });
    expect(config.SUPERGRAPH_PATH).toMatch(/schema\/supergraph\.graphql$/);
  });

  it('reads subgraph URL overrides as name=url pairs', () => {
    expect(
      parseGatewayConfig({ SUBGRAPH_URLS: 'partners=http://10.1.2.3:9000/graphql, sectors=http://s/graphql' })
        .SUBGRAPH_URLS,
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
