import { describe, expect, it } from 'vitest';
import { attemptBudgetMs, subgraphTimeoutMs, subgraphTimeoutOverrides } from './timeouts.js';

describe('timeouts', () => {
  it('a subgraph override wins over the default', () => {
    const options = { defaultMs: 10_000, perSubgraphMs: { sectors: 2_000 } };
    expect(subgraphTimeoutMs('sectors', options)).toBe(2_000);
    expect(subgraphTimeoutMs('partners', options)).toBe(10_000);
  });

  it("an attempt never outlives the request's deadline", () => {
    expect(attemptBudgetMs(1_000, undefined, 0)).toBe(1_000);
    expect(attemptBudgetMs(1_000, 5_000, 4_800)).toBe(200);
    expect(attemptBudgetMs(1_000, 5_000, 6_000)).toBeLessThanOrEqual(0);
  });

  it('SUBGRAPH_TIMEOUTS reads name=ms pairs and refuses anything else', () => {
    expect(subgraphTimeoutOverrides.parse('sectors=2000, partners=500')).toEqual({ sectors: 2_000, partners: 500 });
    expect(subgraphTimeoutOverrides.safeParse('sectors=fast').success).toBe(false);
    expect(subgraphTimeoutOverrides.safeParse('sectors=0').success).toBe(false);
  });
});
