import { describe, expect, it } from 'vitest';
import { parseSubgraphConfig } from '../config.js';
import { httpPeers } from './peers.js';

describe('peer subgraphs', () => {
  it('reads SUBGRAPH_PEER_URLS as name=url pairs', () => {
    const config = parseSubgraphConfig('agreements', 4002, {
      SUBGRAPH_PEER_URLS: 'partners=http://partners.internal:4001/graphql, sectors=https://sectors.invalid/graphql',
    });
    expect(config.SUBGRAPH_PEER_URLS).toEqual({
      partners: 'http://partners.internal:4001/graphql',
      sectors: 'https://sectors.invalid/graphql',
    });
    expect(parseSubgraphConfig('agreements', 4002, {}).SUBGRAPH_PEER_URLS).toEqual({});
  });

  it('refuses a malformed SUBGRAPH_PEER_URLS at start-up', () => {
    expect(() => parseSubgraphConfig('agreements', 4002, { SUBGRAPH_PEER_URLS: 'partners' })).toThrow(
      /SUBGRAPH_PEER_URLS/,
    );
  });

  it('answers SUBGRAPH_UNREACHABLE when the peer is not configured', async () => {
    const peers = httpPeers({ urls: {}, signingSecret: null, self: 'agreements' });
    await expect(peers.lookup('partners', 'Partner', ['canada'], 'id')).rejects.toMatchObject({
      extensions: { code: 'SUBGRAPH_UNREACHABLE', subgraph: 'partners' },
    });
    expect(await peers.lookup('partners', 'Partner', [], 'id')).toEqual([]);
  });
});
