import type { Queryable } from '@cip/subgraph-kit';
import { createSectorsStore, type SectorsStore } from './datasources/sectors.js';

/** What every resolver of the sectors subgraph gets: this request's batched reads. */
export interface SectorsContext {
  sectors: SectorsStore;
}

export function createContext(db: Queryable): SectorsContext {
  return { sectors: createSectorsStore(db) };
}
