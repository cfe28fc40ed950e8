import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { describe, expect, test } from 'vitest';
import { summarisePlan } from './queryPlans.js';

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];

const fetchFrom = (serviceName: string, entityType?: string) => ({
  kind: 'Fetch' as const,
  serviceName,
  operation: '{ __typename }',
  operationName: undefined,
  operationKind: 'query' as never,
  ...(entityType ? { requires: [{ kind: 'InlineFragment' as const, typeCondition: entityType, selections: [] }] } : {}),
});

describe('summarisePlan', () => {
  test('numbers stages: a sequence advances them, a parallel shares one, entity fetches keep their path', () => {
    const plan: QueryPlan = {
      kind: 'QueryPlan',
      node: {
        kind: 'Sequence',
        nodes: [
          fetchFrom('partners'),
          { kind: 'Flatten', path: ['partner'], node: fetchFrom('agreements', 'Partner') },
          {
            kind: 'Parallel',
            nodes: [
              {
                kind: 'Flatten',
                path: ['partner', 'agreements', '@', 'sectors', '@'],
                node: fetchFrom('sectors', 'Sector'),
              },
              {
                kind: 'Flatten',
                path: ['partner', 'agreements', '@', 'threatFocusAreas', '@'],
                node: fetchFrom('threat-focus-areas', 'ThreatFocusArea'),
              },
            ],
          },
        ],
      },
    };
    expect(summarisePlan(plan)).toEqual([
      { stage: 1, subgraph: 'partners', path: '', entities: false, entityTypes: [] },
      { stage: 2, subgraph: 'agreements', path: 'partner', entities: true, entityTypes: ['Partner'] },
      {
        stage: 3,
        subgraph: 'sectors',
        path: 'partner.agreements.@.sectors.@',
        entities: true,
        entityTypes: ['Sector'],
      },
      {
        stage: 3,
        subgraph: 'threat-focus-areas',
        path: 'partner.agreements.@.threatFocusAreas.@',
        entities: true,
        entityTypes: ['ThreatFocusArea'],
      },
    ]);
  });

  test('is empty for a plan with no fetch (introspection only)', () => {
    expect(summarisePlan({ kind: 'QueryPlan' })).toEqual([]);
  });
});
