import type { Queryable } from '@cip/subgraph-kit';
import { createAgreementsStore, type AgreementsStore } from './datasources/agreements.js';

/** What every resolver of the agreements subgraph gets: this request's batched reads. */
export interface AgreementsContext {
  agreements: AgreementsStore;
}

export function createContext(db: Queryable): AgreementsContext {
  return { agreements: createAgreementsStore(db) };
}
