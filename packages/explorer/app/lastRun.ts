import { useSyncExternalStore } from 'react';

/** One step of a query plan, as the gateway reports it (gateway/src/explorer/queryPlans.ts). */
export interface PlanFetch {
  readonly stage: number;
  readonly subgraph: string;
  /** Where in the response the fetch's results go; empty for root fields. */
  readonly path: string;
  /** True for an `_entities` fetch: it resolves a batch of entities another subgraph returned. */
  readonly entities: boolean;
  readonly entityTypes: readonly string[];
}

export interface SubgraphCall {
  readonly subgraph: string;
  /** How many entity representations the call carried (its batch); absent for root queries. */
  readonly representations?: number;
  readonly entityTypes?: readonly string[];
}

/** The plan's shape: steps, or a subscription's or a defer's parts (`PlanOutline` in gateway/src/explorer/queryPlans.ts). */
export type PlanOutline =
  | { readonly kind: 'Steps'; readonly fetches: readonly PlanFetch[] }
  | { readonly kind: 'Subscription'; readonly primary: PlanFetch; readonly rest?: PlanOutline }
  | { readonly kind: 'Defer'; readonly primary?: PlanOutline; readonly deferred: readonly DeferredPartOutline[] };

export interface DeferredPartOutline {
  readonly label?: string;
  /** Where the part's data goes; empty at the root. */
  readonly path: string;
  /** The subgraphs whose answers the part waits for. */
  readonly after: readonly string[];
  readonly then?: PlanOutline;
}

export interface QueryPlanReport {
  readonly text: string;
  readonly subgraphs: readonly string[];
  readonly fetches: readonly PlanFetch[];
  /** Absent from a gateway older than subscriptions and @defer: the fetches are drawn as steps. */
  readonly outline?: PlanOutline;
  readonly calls: readonly SubgraphCall[];
}

export interface SubgraphErrorSummary {
  readonly subgraph: string;
  readonly message: string;
  readonly code?: string;
}

export interface LastRun {
  readonly operationName?: string;
  /** A subscription streams events; an operation has one answer, maybe in parts (`@defer`). */
  readonly kind: 'subscription' | 'operation';
  /** Events, or parts, received so far. */
  readonly payloads: number;
  readonly plan?: QueryPlanReport;
  /** Why there is no plan, when the gateway did not send one. */
  readonly planUnavailable?: string;
  readonly errors: readonly SubgraphErrorSummary[];
}

let current: LastRun | undefined;
const listeners = new Set<() => void>();

/** The last operation run from the explorer: its plan and which offices answered with errors. */
export const lastRun = {
  set: (run: LastRun): void => {
    current = run;
    for (const listener of listeners) listener();
  },
  get: (): LastRun | undefined => current,
  subscribe: (listener: () => void): (() => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

export function useLastRun(): LastRun | undefined {
  return useSyncExternalStore(lastRun.subscribe, lastRun.get, lastRun.get);
}
