import { composeServices } from '@apollo/composition';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import { QueryPlanner } from '@apollo/query-planner';
import { parse } from 'graphql';
import { describe, expect, test } from 'vitest';
import type { GatewayContext } from '../context.js';
import type { AccessMode } from './explorerAccess.js';
import { outlinePlan, queryPlanExposure, summarisePlan } from './queryPlans.js';

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];

const fetchFrom = (serviceName: string, entityType?: string) => ({
  kind: 'Fetch' as const,
  serviceName,
  operation: '{ __typename }',
  operationName: undefined,
  operationKind: 'query' as never,
  ...(entityType ? { requires: [{ kind: 'InlineFragment' as const, typeCondition: entityType, selections: [] }] } : {}),
});

/**
 * The outline of `subscription { partnerChanged { partner { agreements } } }`, planned or built by
 * hand: the events from partners, then one entity fetch from agreements per event.
 */
const PARTNER_CHANGED_OUTLINE = {
  kind: 'Subscription',
  primary: { stage: 1, subgraph: 'partners', path: '', entities: false, entityTypes: [] },
  rest: {
    kind: 'Steps',
    fetches: [
      { stage: 1, subgraph: 'agreements', path: 'partnerChanged.partner', entities: true, entityTypes: ['Partner'] },
    ],
  },
};

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

describe('outlinePlan: what the plan panel draws', () => {
  // Two small offices, planned by Apollo's own planner with @defer on, as the gateway plans.
  const partners = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
    type Query {
      partner(id: ID!): Partner
    }
    type Subscription {
      partnerChanged: PartnerChange!
    }
    type PartnerChange {
      id: ID!
      partner: Partner
    }
    type Partner @key(fields: "id") {
      id: ID!
      name: String!
    }
  `);
  const agreements = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
    type Partner @key(fields: "id") {
      id: ID!
      agreements: [Agreement!]!
    }
    type Agreement @key(fields: "id") {
      id: ID!
      title: String!
    }
  `);
  const composed = composeServices([
    { name: 'partners', typeDefs: partners, url: 'http://partners.invalid/graphql' },
    { name: 'agreements', typeDefs: agreements, url: 'http://agreements.invalid/graphql' },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  const supergraph = Supergraph.build(composed.supergraphSdl);
  const planner = new QueryPlanner(supergraph, { incrementalDelivery: { enableDefer: true } });
  const plan = (source: string): QueryPlan =>
    planner.buildQueryPlan(operationFromDocument(supergraph.apiSchema(), parse(source)));

  test('a subscription: the office that sends the events, then the steps run for each event', () => {
    const subscription = plan('subscription { partnerChanged { id partner { name agreements { title } } } }');
    expect(outlinePlan(subscription)).toEqual(PARTNER_CHANGED_OUTLINE);
    // The flat view still lists both fetches, one after the other.
    expect(summarisePlan(subscription).map((fetch) => [fetch.stage, fetch.subgraph])).toEqual([
      [1, 'partners'],
      [2, 'agreements'],
    ]);
  });

  test('a defer: what is answered first, then each deferred part, where it goes and what it waits for', () => {
    const deferred = plan(
      'query { partner(id: "canada") { name ... @defer(label: "deals") { agreements { title } } } }',
    );
    expect(outlinePlan(deferred)).toEqual({
      kind: 'Defer',
      primary: {
        kind: 'Steps',
        fetches: [{ stage: 1, subgraph: 'partners', path: '', entities: false, entityTypes: [] }],
      },
      deferred: [
        {
          label: 'deals',
          path: 'partner',
          after: ['partners'],
          then: {
            kind: 'Steps',
            fetches: [{ stage: 1, subgraph: 'agreements', path: 'partner', entities: true, entityTypes: ['Partner'] }],
          },
        },
      ],
    });
  });

  test('a defer inside a deferred part is a part of that part', () => {
    const nested = plan(
      `query { partner(id: "canada") { name ... @defer(label: "deals") {
        agreements { id ... @defer(label: "titles") { title } } } } }`,
    );
    const outline = outlinePlan(nested);
    expect(outline.kind).toBe('Defer');
    const [deals] = outline.kind === 'Defer' ? outline.deferred : [];
    expect(deals).toMatchObject({ label: 'deals', path: 'partner', then: { kind: 'Defer' } });
    expect(deals?.then).toMatchObject({
      primary: { kind: 'Steps', fetches: [{ subgraph: 'agreements', path: 'partner' }] },
      deferred: [{ label: 'titles', path: 'partner.agreements', after: ['agreements'] }],
    });
  });

  test('any other plan is its steps', () => {
    expect(outlinePlan(plan('{ partner(id: "canada") { name agreements { title } } }'))).toEqual({
      kind: 'Steps',
      fetches: [
        { stage: 1, subgraph: 'partners', path: '', entities: false, entityTypes: [] },
        { stage: 2, subgraph: 'agreements', path: 'partner', entities: true, entityTypes: ['Partner'] },
      ],
    });
  });
});

describe('queryPlanExposure.subscriptionPlan: the plan a subscription transport sends with the first event', () => {
  const primary = fetchFrom('partners');
  const rest = {
    kind: 'Flatten' as const,
    path: ['partnerChanged', 'partner'],
    node: fetchFrom('agreements', 'Partner'),
  };
  const contextOf = () => ({}) as GatewayContext;
  /** The plugin's view of the subscription's request, as Apollo's pipeline starts it. */
  async function started(mode: AccessMode, context: GatewayContext, extensions?: Record<string, unknown>) {
    const exposure = queryPlanExposure({ mode, isAnalyst: () => false });
    const plugin = exposure.plugin as { requestDidStart(request: unknown): Promise<unknown> };
    await plugin.requestDidStart({ request: { ...(extensions ? { extensions } : {}) }, contextValue: context });
    return exposure;
  }

  test('asked with the queryPlan request extension and allowed: the Subscription node, outlined', async () => {
    const context = contextOf();
    const report = (await started('on', context, { queryPlan: true })).subscriptionPlan(context, primary, rest);
    expect(report?.outline).toEqual(PARTNER_CHANGED_OUTLINE);
    expect(report?.subgraphs).toEqual(['partners', 'agreements']);
    expect(report?.text).toContain('Subscription {');
  });

  test('not asked, or not allowed (off; analysts only, for a caller who is none): nothing', async () => {
    const notAsked = contextOf();
    expect((await started('on', notAsked)).subscriptionPlan(notAsked, primary, rest)).toBeUndefined();
    for (const mode of ['off', 'analysts'] as const) {
      const context = contextOf();
      expect(
        (await started(mode, context, { queryPlan: true })).subscriptionPlan(context, primary, rest),
      ).toBeUndefined();
    }
  });
});
