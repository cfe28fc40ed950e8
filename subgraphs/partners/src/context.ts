import type { Queryable } from '@cip/subgraph-kit';
import { createPartnersStore, type PartnersStore } from './datasources/partners.js';

/** What every resolver of the partners subgraph gets: this request's batched reads. */
export interface PartnersContext {
  partners: PartnersStore;
}

export function createContext(db: Queryable): PartnersContext {
  return { partners: createPartnersStore(db) };
}
