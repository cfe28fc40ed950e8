import { availableParallelism } from 'node:os';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';

describe('GATEWAY_WORKERS', () => {
  it('is one process by default, a count when given, the cores for auto', () => {
    expect(parseGatewayConfig({}).server.workers).toBe(1);
    expect(parseGatewayConfig({ GATEWAY_WORKERS: '3' }).server.workers).toBe(3);
    expect(parseGatewayConfig({ GATEWAY_WORKERS: 'auto' }).server.workers).toBe(availableParallelism());
  });

  it.each(['0', '-1', '1.5', 'two', 'auto,2'])('refuses GATEWAY_WORKERS=%j, naming it', (value) => {
    expect(configProblems(() => parseGatewayConfig({ GATEWAY_WORKERS: value }))).toEqual([
      `GATEWAY_WORKERS=${JSON.stringify(value)}: expected a positive integer or auto`,
    ]);
  });

  it('refuses an in-memory response cache shared by no one: several workers need Redis for it', () => {
    expect(configProblems(() => parseGatewayConfig({ GATEWAY_WORKERS: '2', RESPONSE_CACHE: 'on' }))).toEqual([
      "RESPONSE_CACHE: needs REDIS_URL with GATEWAY_WORKERS=2: a write through one worker would not clear another's cache",
    ]);
    const withRedis = { GATEWAY_WORKERS: '2', RESPONSE_CACHE: 'on', REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(parseGatewayConfig(withRedis).sharedState.responseCache).toBeDefined();
    expect(parseGatewayConfig({ RESPONSE_CACHE: 'on' }).server.workers).toBe(1);
  });
});
