import type { Database } from '@cip/subgraph-kit';
import { createPartnersStore, type PartnersStore } from './datasources/partners.js';
import { createPartnerWrites, type PartnerWrites } from './datasources/partnerWrites.js';

/** What every resolver of the partners subgraph gets: this request's batched reads, and the office's writes. */
export interface PartnersContext {
  partners: PartnersStore;
  partnerWrites: PartnerWrites;
}

export function createContext(db: Database): PartnersContext {
  return { partners: createPartnersStore(db), partnerWrites: createPartnerWrites(db) };
}
