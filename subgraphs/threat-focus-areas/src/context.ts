import type { Database } from '@cip/subgraph-kit';
import { createThreatFocusAreaBulk, type ThreatFocusAreaBulk } from './datasources/threatFocusAreaBulk.js';
import { createThreatFocusAreaWrites, type ThreatFocusAreaWrites } from './datasources/threatFocusAreaWrites.js';
import { createThreatFocusAreasStore, type ThreatFocusAreasStore } from './datasources/threatFocusAreas.js';

/** What every resolver of the threat-focus-areas subgraph gets: this request's batched reads, and the office's writes and bulk files. */
export interface ThreatFocusAreasContext {
  threatFocusAreas: ThreatFocusAreasStore;
  threatFocusAreaWrites: ThreatFocusAreaWrites;
  /** Import and export of the office's threat focus areas as JSON or CSV files. */
  threatFocusAreaBulk: ThreatFocusAreaBulk;
}

export function createContext(db: Database): ThreatFocusAreasContext {
  return {
    threatFocusAreas: createThreatFocusAreasStore(db),
    threatFocusAreaWrites: createThreatFocusAreaWrites(db),
    threatFocusAreaBulk: createThreatFocusAreaBulk(db),
  };
}
