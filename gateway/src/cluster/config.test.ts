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
});
