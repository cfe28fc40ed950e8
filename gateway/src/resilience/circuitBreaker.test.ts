import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerState } from './circuitBreaker.js';

function breaker() {
  let now = 0;
  const changes: BreakerState[] = [];
  const subject = new CircuitBreaker({
    failureThreshold: 3,
    coolDownMs: 1_000,
    now: () => now,
    onStateChange: (to) => changes.push(to),
  });
  return { subject, changes, advance: (ms: number) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('stays closed while failures are not consecutive', () => {
    const { subject, changes } = breaker();
    subject.recordFailure();
    subject.recordFailure();
    subject.recordSuccess();
    subject.recordFailure();
    subject.recordFailure();
    expect(subject.state).toBe('closed');
    expect(subject.tryAcquire()).toBe(true);
    expect(changes).toEqual([]);
  });

  it('opens after the threshold, fails fast during the cool-down, then lets exactly one probe through', () => {
    const { subject, changes, advance } = breaker();
    for (let i = 0; i < 3; i += 1) subject.recordFailure();
    expect(subject.state).toBe('open');
    expect(subject.tryAcquire()).toBe(false);
    advance(999);
    expect(subject.tryAcquire()).toBe(false);
    advance(1);
    expect(subject.tryAcquire()).toBe(true);
    expect(subject.state).toBe('half_open');
    expect(subject.tryAcquire()).toBe(false);
    subject.recordSuccess();
    expect(subject.state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed probe opens it for another cool-down', () => {
    const { subject, changes, advance } = breaker();
    for (let i = 0; i < 3; i += 1) subject.recordFailure();
    advance(1_000);
    expect(subject.tryAcquire()).toBe(true);
    subject.recordFailure();
    expect(subject.state).toBe('open');
    expect(subject.tryAcquire()).toBe(false);
    advance(1_000);
    expect(subject.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'open', 'half_open']);
  });
});
