import type { Database } from '@cip/subgraph-kit';
import { createAgreementWrites, type AgreementWrites } from './datasources/agreementWrites.js';
import { createAgreementsStore, type AgreementsStore } from './datasources/agreements.js';

/** What every resolver of the agreements subgraph gets: this request's batched reads, and the office's writes. */
export interface AgreementsContext {
  agreements: AgreementsStore;
  agreementWrites: AgreementWrites;
}

export function createContext(db: Database): AgreementsContext {
  return { agreements: createAgreementsStore(db), agreementWrites: createAgreementWrites(db) };
}
