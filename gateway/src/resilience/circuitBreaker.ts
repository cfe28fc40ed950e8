/** Where a breaker stands: `closed` lets everything through, `open` fails fast, `half_open` lets one probe through. */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker fails fast before letting one probe through. */
  coolDownMs: number;
  /** Called on every state change (log line, metric). */
  onStateChange?: (to: BreakerState, from: BreakerState) => void;
  /** Injected in unit tests; `Date.now` otherwise. */
  now?: () => number;
}

/**
 * A circuit breaker for one subgraph. After `failureThreshold` failures in a row it opens, and
 * callers fail fast instead of piling requests (and timeouts) onto an office that is down. After
 * `coolDownMs` exactly one request is let through as a probe: its success closes the breaker, its
 * failure opens it for another cool-down.
 */
export class CircuitBreaker {
  private currentState: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    return this.currentState;
  }

  /** Whether a request may go out now; in half-open, only the first caller gets the probe. */
  tryAcquire(): boolean {
    if (this.currentState === 'closed') return true;
    if (this.currentState === 'open') {
      if (this.now() - this.openedAt < this.options.coolDownMs) return false;
      this.transition('half_open');
    }
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    if (this.currentState !== 'closed') this.transition('closed');
  }

  recordFailure(): void {
    this.consecutiveFailures += 1;
    this.probeInFlight = false;
    if (this.currentState === 'half_open' || this.consecutiveFailures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      if (this.currentState !== 'open') this.transition('open');
    }
  }

  private transition(to: BreakerState): void {
    const from = this.currentState;
    this.currentState = to;
    this.options.onStateChange?.(to, from);
  }
}
