import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../security/jwt.js';
import { CallerConnections, atExpiry, callerKey } from './callerConnections.js';

describe('CallerConnections', () => {
  it('gives each caller up to its limit, and a place back once', () => {
    const connections = new CallerConnections(2);
    const first = connections.take('subject:ana');
    const second = connections.take('subject:ana');
    expect(first && second).toBeTruthy();
    expect(connections.take('subject:ana')).toBeUndefined();
    expect(connections.take('subject:bob')).toBeDefined();
    first!();
    first!();
    expect(connections.take('subject:ana')).toBeDefined();
    expect(connections.take('subject:ana')).toBeUndefined();
  });

  it('counts a signed-in caller by subject, anyone else by address', () => {
    const ana = { authenticated: true, subject: 'ana', scopes: new Set<string>(), unrestricted: false };
    expect(callerKey(ana, '10.0.0.1')).toBe('subject:ana');
    expect(callerKey(ANONYMOUS, '10.0.0.1')).toBe('address:10.0.0.1');
  });
});

describe('atExpiry', () => {
  it('runs at once for a time already past, never without one, and not once cancelled', async () => {
    let expired = 0;
    atExpiry(Date.now() - 1, () => expired++);
    atExpiry(undefined, () => expired++);
    const cancel = atExpiry(Date.now() + 20, () => expired++);
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(expired).toBe(1);
  });
});
