import type { Database } from '@cip/subgraph-kit';
import { createThreatFocusAreaWrites, type ThreatFocusAreaWrites } from './datasources/threatFocusAreaWrites.js';
import { createThreatFocusAreasStore, type ThreatFocusAreasStore } from './datasources/threatFocusAreas.js';

/** What every resolver of the threat-focus-areas subgraph gets: this request's batched reads, and the office's writes. */
export interface ThreatFocusAreasContext {
  threatFocusAreas: ThreatFocusAreasStore;
  threatFocusAreaWrites: ThreatFocusAreaWrites;
}

export function createContext(db: Database): ThreatFocusAreasContext {
  return { threatFocusAreas: createThreatFocusAreasStore(db), threatFocusAreaWrites: createThreatFocusAreaWrites(db) };
}
