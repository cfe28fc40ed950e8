import type { Database } from '@cip/subgraph-kit';
import { createSectorWrites, type SectorWrites } from './datasources/sectorWrites.js';
import { createSectorsStore, type SectorsStore } from './datasources/sectors.js';

/** What every resolver of the sectors subgraph gets: this request's batched reads, and the office's writes. */
export interface SectorsContext {
  sectors: SectorsStore;
  sectorWrites: SectorWrites;
}

export function createContext(db: Database): SectorsContext {
  return { sectors: createSectorsStore(db), sectorWrites: createSectorWrites(db) };
}
