import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { responseCachePlugin } from './responseCache.js';
import { MemoryResponseCache } from './responseCacheStore.js';

const typeDefs = `
  type Query { partner(id: ID!): Partner }
  type Partner { id: ID!, name: String! }
  type Mutation { renamePartner(id: ID!, name: String!): Partner!, importPartners(names: [String!]!): ImportReport! }
  type ImportReport { applied: Boolean! }
`;
const read = '{ partner(id: "canada") { id name } }';

/** A one-field server whose resolver reads `store.name`, after `store.gate` when one is set. */
async function serverOver(cache: MemoryResponseCache) {
  const store: { name: string; gate?: Promise<void> } = { name: 'Canada' };
  const server = new ApolloServer<GatewayContext>({
    typeDefs,
    resolvers: {
      Query: {
        partner: async (_: unknown, { id }: { id: string }) => {
          const name = store.name;
          await store.gate;
          return { id, name };
        },
      },
      Mutation: {
        renamePartner: (_: unknown, { id, name }: { id: string; name: string }) => {
          store.name = name;
          return { id, name };
        },
        importPartners: (_: unknown, { names }: { names: string[] }) => {
          store.name = names[0]!;
          return { applied: true };
        },
      },
    },
    plugins: [
      responseCachePlugin({
        store: cache,
        ttlSeconds: 60,
        lookups: new Counter({
          name: 'lookups',
          help: 'l',
          labelNames: ['result'] as const,
          registers: [new Registry()],
        }),
      }),
    ],
  });
  await server.start();
  const ask = async () => {
    const response = await server.executeOperation({ query: read }, { contextValue: { req: {} as IncomingMessage } });
    return response.body.kind === 'single' ? response.body.singleResult.data : undefined;
  };
  const write = async (mutation: string) => {
    const response = await server.executeOperation(
      { query: mutation },
      { contextValue: { req: {} as IncomingMessage } },
    );
    return response.body.kind === 'single' ? response.body.singleResult : undefined;
  };
  return { server, store, ask, write };
}

const servers: ApolloServer<GatewayContext>[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

describe('responseCachePlugin', () => {
  it('an answer that cannot be tagged (no id) is not stored, and its document is not looked up again', async () => {
    const cache = new MemoryResponseCache();
    const { server } = await serverOver(cache);
    servers.push(server);
    const cacheHeader = async (query: string) => {
      const response = await server.executeOperation({ query }, { contextValue: { req: {} as IncomingMessage } });
      return response.http.headers.get('x-response-cache');
    };
    const withoutId = '{ partner(id: "canada") { name } }';
    expect(await cacheHeader(withoutId)).toBe('miss');
    expect(await cacheHeader(withoutId)).toBe('bypass');
    expect(await cacheHeader(withoutId)).toBe('bypass');
    // A document that can be tagged is unaffected.
    expect(await cacheHeader(read)).toBe('miss');
    expect(await cacheHeader(read)).toBe('hit');
  });

  it('a write drops the answers showing the entity it answers with, and a write naming no entity drops all', async () => {
    const cache = new MemoryResponseCache();
    const { server, store, ask, write } = await serverOver(cache);
    servers.push(server);
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada' } });
    store.name = 'changed behind the cache';
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada' } });

    expect(await write('mutation { renamePartner(id: "canada", name: "Canada, renamed") { id name } }')).toEqual({
      data: { renamePartner: { id: 'canada', name: 'Canada, renamed' } },
    });
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada, renamed' } });

    expect(await write('mutation { importPartners(names: ["Canada, imported"]) { applied } }')).toEqual({
      data: { importPartners: { applied: true } },
    });
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada, imported' } });
  });

  it('caches a tagged answer, and a write invalidated afterwards is seen by the next read', async () => {
    const cache = new MemoryResponseCache();
    const { server, store, ask } = await serverOver(cache);
    servers.push(server);
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada' } });
    store.name = 'Canada (renamed)';
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada' } }); // from the cache
    await cache.invalidate(['Partner:canada']);
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada (renamed)' } });
  });

  it('does not store an answer read before a write that was invalidated while it was being computed', async () => {
    const cache = new MemoryResponseCache();
    const { server, store, ask } = await serverOver(cache);
    servers.push(server);
    let release = () => {};
    store.gate = new Promise((resolve) => (release = resolve));
    // A read that has read the old name and is still going when the write commits and is invalidated.
    const slowRead = ask();
    await new Promise((resolve) => setTimeout(resolve, 20));
    store.name = 'Canada (renamed)';
    await cache.invalidate(['Partner:canada']);
    release();
    expect(await slowRead).toEqual({ partner: { id: 'canada', name: 'Canada' } });
    delete store.gate;
    // Had it been stored, this would be the old name until the TTL ran out.
    expect(await ask()).toEqual({ partner: { id: 'canada', name: 'Canada (renamed)' } });
  });
});
