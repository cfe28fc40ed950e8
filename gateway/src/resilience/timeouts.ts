import { envVar } from '@cip/core';

/** Per-subgraph fetch timeouts: one default, and overrides by subgraph name. */
export interface TimeoutOptions {
  defaultMs: number;
  perSubgraphMs: Readonly<Record<string, number>>;
}

export function subgraphTimeoutMs(subgraph: string, options: TimeoutOptions): number {
  return options.perSubgraphMs[subgraph] ?? options.defaultMs;
}

/**
 * How long one attempt may take: the subgraph's timeout, shortened to what is left of the whole
 * request's deadline (so retries never carry a request past it). Zero or less means no time left.
 */
export function attemptBudgetMs(timeoutMs: number, deadline: number | undefined, now: number = Date.now()): number {
  return deadline === undefined ? timeoutMs : Math.min(timeoutMs, deadline - now);
}

/** Thrown when an attempt runs out of time; `SubgraphDataSource` turns it into `SUBGRAPH_TIMEOUT`. */
export class SubgraphTimeoutError extends Error {
  constructor(
    readonly subgraph: string,
    readonly timeoutMs: number,
    readonly reason: 'timeout' | 'deadline',
  ) {
    super(
      reason === 'deadline'
        ? `The ${subgraph} subgraph did not answer before the request's deadline.`
        : `The ${subgraph} subgraph did not answer within ${timeoutMs} ms.`,
    );
    this.name = 'SubgraphTimeoutError';
  }
}

/** Thrown when a subgraph's breaker is open; `SubgraphDataSource` turns it into `SUBGRAPH_UNAVAILABLE`. */
export class SubgraphUnavailableError extends Error {
  constructor(readonly subgraph: string) {
    super(
      `The ${subgraph} subgraph is failing, so the gateway is not asking it for a while (circuit breaker open); try again shortly.`,
    );
    this.name = 'SubgraphUnavailableError';
  }
}

/** `name=ms,name=ms`: per-subgraph timeouts that differ from the default (`SUBGRAPH_TIMEOUTS`). */
export const subgraphTimeoutOverrides = envVar
  .namedValues('name=milliseconds', (text) => {
    const ms = Number(text);
    return Number.isInteger(ms) && ms > 0 ? ms : undefined;
  })
  .default({});
