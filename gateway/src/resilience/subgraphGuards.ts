import type { Logger } from '@cip/core';
import type { GatewayMetrics } from '../observability/metrics.js';
import { BREAKER_STATE_VALUE } from '../observability/metrics.js';
import { CircuitBreaker, type BreakerState } from './circuitBreaker.js';
import { RetryBudget, type RetryBudgetOptions, type RetryOptions } from './retryPolicy.js';
import { subgraphTimeoutMs, type TimeoutOptions } from './timeouts.js';

export interface ResilienceOptions {
  timeouts: TimeoutOptions;
  retry: RetryOptions;
  retryBudget: RetryBudgetOptions;
  breaker: { failureThreshold: number; coolDownMs: number };
}

/** Everything that guards the fetches to one subgraph: its timeout, its breaker and its retry budget. */
export interface SubgraphGuard {
  readonly subgraph: string;
  readonly timeoutMs: number;
  readonly retry: RetryOptions;
  readonly breaker: CircuitBreaker;
  readonly budget: RetryBudget;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/**
 * One guard per subgraph name, kept for the gateway's life: a supergraph reload builds new data
 * sources, but a subgraph's breaker and budget carry over, so a reload cannot reset an open breaker.
 */
export class SubgraphGuards {
  private readonly guards = new Map<string, SubgraphGuard>();

  constructor(
    private readonly options: ResilienceOptions,
    private readonly metrics: GatewayMetrics,
    private readonly logger: Logger,
  ) {}

  forSubgraph(subgraph: string): SubgraphGuard {
    const existing = this.guards.get(subgraph);
    if (existing) return existing;
    const logger = this.logger.child({ subgraph });
    this.metrics.breakerState.set({ subgraph }, BREAKER_STATE_VALUE.closed);
    const guard: SubgraphGuard = {
      subgraph,
      timeoutMs: subgraphTimeoutMs(subgraph, this.options.timeouts),
      retry: this.options.retry,
      budget: new RetryBudget(this.options.retryBudget),
      breaker: new CircuitBreaker({
        ...this.options.breaker,
        onStateChange: (to, from) => {
          this.metrics.breakerState.set({ subgraph }, BREAKER_STATE_VALUE[to]);
          this.metrics.breakerTransitions.inc({ subgraph, to });
          const log = to === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
          log({ breaker: to, previous: from }, `circuit breaker ${to.replace('_', '-')}`);
        },
      }),
      metrics: this.metrics,
      logger,
    };
    this.guards.set(subgraph, guard);
    return guard;
  }

  /** Each known subgraph's breaker state, for `/ready`. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.guards].map(([name, guard]) => [name, guard.breaker.state]));
  }
}
