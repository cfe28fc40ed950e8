import type { Queryable } from '@cip/subgraph-kit';
import { createThreatFocusAreasStore, type ThreatFocusAreasStore } from './datasources/threatFocusAreas.js';

/** What every resolver of the threat-focus-areas subgraph gets: this request's batched reads. */
export interface ThreatFocusAreasContext {
  threatFocusAreas: ThreatFocusAreasStore;
}

export function createContext(db: Queryable): ThreatFocusAreasContext {
  return { threatFocusAreas: createThreatFocusAreasStore(db) };
}
