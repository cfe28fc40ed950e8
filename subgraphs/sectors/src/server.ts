import { readFileSync } from 'node:fs';
import type { SubgraphModule } from '@cip/subgraph-kit';
import { parse } from 'graphql';
import { createContext, type SectorsContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/** The sectors office's subgraph: the CI/KR sectors, their agencies and dependencies. Building it starts nothing. */
export const sectorsSubgraph: SubgraphModule<SectorsContext> = {
  name: 'sectors',
  storeSchema: 'sectors',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsDirectory: new URL('../migrations/', import.meta.url),
  createContext,
};

export const DEFAULT_PORT = 4003;
