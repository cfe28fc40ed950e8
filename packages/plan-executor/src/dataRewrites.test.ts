// @apollo/gateway keeps its rewrites internal; its built file is the reference ours must equal.
import * as stock from '@apollo/gateway/dist/dataRewrites.js';
import type { FetchDataRewrite, QueryPlan } from '@apollo/query-planner';
import { buildSchema } from 'graphql';
import { describe, expect, test } from 'vitest';
import { applyRewrites, isObjectOfType } from './dataRewrites.js';
import { isSupportedPlan } from './planSupport.js';

const schema = buildSchema(`
  interface Asset { id: ID! }
  interface Named { name: String }
  type Vehicle implements Asset & Named { id: ID! name: String }
  type Drone implements Asset { id: ID! }
  type Crate { label: String }
  union Cargo = Crate | Drone
  type Query { assets: [Asset] cargo: [Cargo] }
`);

const values = (): unknown[] => [
  { __typename: 'Vehicle', id: 'v1', name: 'Hauler' },
  { __typename: 'Asset', id: 'v1' },
  { id: 'no-typename' },
  [{ __typename: 'Drone', id: 'd1' }, null, { __typename: 'Crate', label: 'bolts' }],
  {
    assets: [
      { __typename: 'Vehicle', id: 'v1', name: null },
      { __typename: 'Drone', id: 'd1' },
    ],
    other: 1,
  },
  { __typename: 'Unknown', id: 'x' },
  null,
  'a string',
];

const rewrites: FetchDataRewrite[][] = [
  [{ kind: 'ValueSetter', path: ['... on Asset', '__typename'], setValueTo: 'Asset' }],
  [{ kind: 'ValueSetter', path: ['... on Vehicle', 'name'], setValueTo: 'renamed' }],
  [{ kind: 'ValueSetter', path: ['assets', '... on Named', 'name'], setValueTo: 'n' }],
  [{ kind: 'KeyRenamer', path: ['... on Vehicle', 'name'], renameKeyTo: 'vehicleName' }],
  [{ kind: 'KeyRenamer', path: ['assets', 'id'], renameKeyTo: 'key' }],
  [{ kind: 'ValueSetter', path: ['... on Cargo', 'kind'], setValueTo: 'cargo' }],
  [
    { kind: 'ValueSetter', path: ['__typename'], setValueTo: 'Asset' },
    { kind: 'KeyRenamer', path: ['id'], renameKeyTo: 'assetId' },
  ],
  [{ kind: 'ValueSetter', path: [], setValueTo: 'nothing' }],
];

describe('data rewrites equal @apollo/gateway', () => {
  test.each(rewrites.map((list) => [JSON.stringify(list), list] as const))('%s', (_label, list) => {
    const ours = values();
    const theirs = values();
    applyRewrites(schema, list, ours);
    stock.applyRewrites(schema, list, theirs);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
  });

  test('type conditions on objects, interfaces and unions', () => {
    const objects = [
      { __typename: 'Vehicle' },
      { __typename: 'Drone' },
      { __typename: 'Crate' },
      { __typename: 'Asset' },
      { __typename: 'Unknown' },
      {},
    ];
    for (const object of objects) {
      for (const condition of ['Vehicle', 'Drone', 'Asset', 'Named', 'Cargo', 'Crate', 'Unknown']) {
        for (const fallback of [false, true]) {
          expect(isObjectOfType(schema, object, condition, fallback), `${JSON.stringify(object)} ${condition}`).toBe(
            stock.isObjectOfType(schema, object, condition, fallback),
          );
        }
      }
    }
  });
});

describe('plan shapes the fast executor takes', () => {
  const fetch = (extra: Record<string, unknown> = {}) => ({
    kind: 'Fetch',
    serviceName: 'inventory',
    operation: '{ assets { id } }',
    operationKind: 'query',
    ...extra,
  });
  const plan = (node: unknown) => ({ kind: 'QueryPlan', node }) as unknown as QueryPlan;

  test('fetches with @interfaceObject rewrites, in sequences, parallels, flattens and conditions', () => {
    const rewritten = fetch({
      inputRewrites: [{ kind: 'ValueSetter', path: ['... on Asset', '__typename'], setValueTo: 'Asset' }],
      outputRewrites: [{ kind: 'KeyRenamer', path: ['a'], renameKeyTo: 'b' }],
    });
    const node = {
      kind: 'Sequence',
      nodes: [
        fetch(),
        { kind: 'Parallel', nodes: [{ kind: 'Flatten', path: ['assets', '@'], node: rewritten }] },
        { kind: 'Condition', condition: 'on', ifClause: fetch(), elseClause: fetch() },
      ],
    };
    expect(isSupportedPlan(plan(node))).toBe(true);
  });

  test('subscriptions, context rewrites and empty plans go to the stock executor; Defer nodes of what ours runs do not', () => {
    expect(isSupportedPlan(plan(undefined))).toBe(false);
    const deferred = (node: unknown) => ({ depends: [], queryPath: [], node });
    expect(isSupportedPlan(plan({ kind: 'Defer', primary: { node: fetch() }, deferred: [deferred(fetch())] }))).toBe(
      true,
    );
    const contextualDeferred = fetch({ contextRewrites: [{ kind: 'KeyRenamer', path: ['a'], renameKeyTo: 'b' }] });
    expect(isSupportedPlan(plan({ kind: 'Defer', primary: {}, deferred: [deferred(contextualDeferred)] }))).toBe(false);
    expect(isSupportedPlan(plan({ kind: 'Subscription', primary: fetch() }))).toBe(false);
    expect(isSupportedPlan(plan(fetch({ hasDefers: true })))).toBe(false);
    const contextual = fetch({ contextRewrites: [{ kind: 'KeyRenamer', path: ['a'], renameKeyTo: 'b' }] });
    expect(isSupportedPlan(plan({ kind: 'Sequence', nodes: [fetch(), contextual] }))).toBe(false);
  });
});
