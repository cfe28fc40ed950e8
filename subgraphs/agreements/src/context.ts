import type { Database } from '@cip/subgraph-kit';
import { createAgreementBulk, type AgreementBulk } from './datasources/agreementBulk.js';
import { createAgreementWrites, type AgreementWrites } from './datasources/agreementWrites.js';
import { createAgreementsStore, type AgreementsStore } from './datasources/agreements.js';

/** What every resolver of the agreements subgraph gets: this request's batched reads, and the office's writes and bulk files. */
export interface AgreementsContext {
  agreements: AgreementsStore;
  agreementWrites: AgreementWrites;
  /** Import and export of the office's agreements as JSON or CSV files. */
  agreementBulk: AgreementBulk;
}

export function createContext(db: Database): AgreementsContext {
  return {
    agreements: createAgreementsStore(db),
    agreementWrites: createAgreementWrites(db),
    agreementBulk: createAgreementBulk(db),
  };
}
