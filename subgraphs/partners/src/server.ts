import { readFileSync } from 'node:fs';
import type { SubgraphModule } from '@cip/subgraph-kit';
import { parse } from 'graphql';
import { createContext, type PartnersContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/** The partners office's subgraph: partners, their memberships and bodies. Building it starts nothing. */
export const partnersSubgraph: SubgraphModule<PartnersContext> = {
  name: 'partners',
  storeSchema: 'partners',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsDirectory: new URL('../migrations/', import.meta.url),
  createContext,
};

export const DEFAULT_PORT = 4001;
