import { readFileSync } from 'node:fs';
import type { SubgraphModule } from '@cip/subgraph-kit';
import { parse } from 'graphql';
import { createContext, type ThreatFocusAreasContext } from './context.js';
import { resolvers } from './resolvers/index.js';

/**
 * The threat-focus-areas office's subgraph: the threats cooperation addresses, and the focus areas
 * of each sector. Building it starts nothing.
 */
export const threatFocusAreasSubgraph: SubgraphModule<ThreatFocusAreasContext> = {
  name: 'threat-focus-areas',
  storeSchema: 'threat_focus_areas',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsDirectory: new URL('../migrations/', import.meta.url),
  createContext,
};

export const DEFAULT_PORT = 4004;
