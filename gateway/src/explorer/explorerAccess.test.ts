import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { explorerMode, mayAccess, nobodyIsAnAnalyst, queryPlanMode } from './explorerAccess.js';

const context = { req: {} as IncomingMessage };

describe('explorer and query-plan access', () => {
  test('are open in development and test, and closed to anonymous production traffic by default', () => {
    for (const NODE_ENV of ['development', 'test'] as const) {
      expect(explorerMode({ explorer: undefined, queryPlans: undefined }, NODE_ENV)).toBe('on');
      expect(queryPlanMode({ explorer: undefined, queryPlans: undefined }, NODE_ENV)).toBe('on');
    }
    const production = { explorer: undefined, queryPlans: undefined } as const;
    expect(explorerMode(production, 'production')).toBe('off');
    expect(queryPlanMode(production, 'production')).toBe('analysts');
  });

  test('follow EXPLORER and QUERY_PLANS when they are set', () => {
    const config = { explorer: 'analysts', queryPlans: 'off' } as const;
    expect(explorerMode(config, 'production')).toBe('analysts');
    expect(queryPlanMode(config, 'production')).toBe('off');
  });

  test('let analysts in only when the analyst check says so; until security wires one, no one', async () => {
    expect(await mayAccess('on', context, nobodyIsAnAnalyst)).toBe(true);
    expect(await mayAccess('off', context, () => true)).toBe(false);
    expect(await mayAccess('analysts', context, nobodyIsAnAnalyst)).toBe(false);
    expect(await mayAccess('analysts', context, async () => true)).toBe(true);
  });
});
