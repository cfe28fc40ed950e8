import { readFileSync } from 'node:fs';
import type { SubgraphModule } from '@cip/subgraph-kit';
import { parse } from 'graphql';
import { createContext, type AgreementsContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/**
 * The agreements office's subgraph: agreements, their parties and what they cover, and the agreements
 * of other offices' partners, sectors and threat focus areas. Building it starts nothing.
 */
export const agreementsSubgraph: SubgraphModule<AgreementsContext> = {
  name: 'agreements',
  storeSchema: 'agreements',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsDirectory: new URL('../migrations/', import.meta.url),
  createContext,
};

export const DEFAULT_PORT = 4002;
