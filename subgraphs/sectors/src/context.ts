import type { Database } from '@cip/subgraph-kit';
import { createSectorBulk, type SectorBulk } from './datasources/sectorBulk.js';
import { createSectorWrites, type SectorWrites } from './datasources/sectorWrites.js';
import { createSectorsStore, type SectorsStore } from './datasources/sectors.js';

/** What every resolver of the sectors subgraph gets: this request's batched reads, and the office's writes and bulk files. */
export interface SectorsContext {
  sectors: SectorsStore;
  sectorWrites: SectorWrites;
  /** Import and export of the office's sectors as JSON or CSV files. */
  sectorBulk: SectorBulk;
}

export function createContext(db: Database): SectorsContext {
  return { sectors: createSectorsStore(db), sectorWrites: createSectorWrites(db), sectorBulk: createSectorBulk(db) };
}
