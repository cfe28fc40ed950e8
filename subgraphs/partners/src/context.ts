import type { Database } from '@cip/subgraph-kit';
import { createPartnersStore, type PartnersStore } from './datasources/partners.js';
import { createPartnerWrites, type PartnerWrites } from './datasources/partnerWrites.js';
import { createPartnerBulk, type PartnerBulk } from './datasources/partnerBulk.js';

/** What every resolver of the partners subgraph gets: this request's batched reads, and the office's writes and bulk files. */
export interface PartnersContext {
  partners: PartnersStore;
  partnerWrites: PartnerWrites;
  /** Import and export of the office's partners as JSON or CSV files. */
  partnerBulk: PartnerBulk;
}

export function createContext(db: Database): PartnersContext {
  return {
    partners: createPartnersStore(db),
    partnerWrites: createPartnerWrites(db),
    partnerBulk: createPartnerBulk(db),
  };
}
