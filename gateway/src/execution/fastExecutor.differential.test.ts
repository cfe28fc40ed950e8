import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema,
  getNamedType,
  Kind,
  parse,
  print,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSystem, type RunningSystem } from '../../../test/support/system.js';
import { parseGatewayConfig } from '../config.js';
import { buildGateway, type GatewayApp } from '../server.js';

/**
 * Differential proof of the fast plan executor: the same operations against two gateways over the
 * same running subgraphs, stock (the system's own) and PLAN_EXECUTOR=fast, and the responses (data
 * and errors, with paths and codes) must be equal. Several hundred variants are generated from the
 * example operations in test/operations/.
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const apiSchema = buildSchema(readFileSync(join(root, 'schema/api.graphql'), 'utf8'));
const operationsDir = join(root, 'test/operations');
const examples = readdirSync(operationsDir)
  .filter((file) => file.endsWith('.graphql'))
  .sort()
  .map((file) => ({ name: file, document: parse(readFileSync(join(operationsDir, file), 'utf8')) }));

interface Variant {
  label: string;
  query: string;
  variables?: Record<string, unknown>;
}

// Both gateways: no retries and a breaker that never opens, so a stopped subgraph fails the same
// way for each however many requests each has sent. Aliases on every field need more than 30. No
// supergraph watching: a recomposition during the run must not reach one gateway before the other.
const sharedEnv = {
  BREAKER_FAILURE_THRESHOLD: '100000',
  SUBGRAPH_RETRIES: '0',
  LIMIT_MAX_ALIASES: '200',
  SUPERGRAPH_WATCH: 'false',
};

let system: RunningSystem;
let fast: GatewayApp;
let fastUrl: string;

beforeAll(async () => {
  system = await startSystem(sharedEnv);
  const subgraphUrls = Object.entries(system.subgraphUrls)
    .map(([name, url]) => `${name}=${url}`)
    .join(',');
  fast = await buildGateway(
    parseGatewayConfig({
      NODE_ENV: 'test',
      PORT: '0',
      PLAN_EXECUTOR: 'fast',
      SUBGRAPH_URLS: subgraphUrls,
      ...sharedEnv,
    }),
    pino({ level: 'silent' }),
  );
  fastUrl = `${await fast.listen('127.0.0.1', 0)}/graphql`;
}, 120_000);

afterAll(async () => {
  await fast?.stop();
  await system?.stop();
}, 60_000);

async function post(url: string, variant: Variant): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: variant.query, variables: variant.variables }),
  });
  return { status: response.status, body: await response.json() };
}

/**
 * Sends the variant to stock, then twice to the fast gateway (the first plans it through the
 * stock executor; the second runs the stored plan on ours). Returns whether the fast path ran.
 */
async function compare(variant: Variant): Promise<boolean> {
  const expected = await post(system.gatewayUrl, variant);
  const primed = await post(fastUrl, variant);
  expect(primed, `${variant.label} (first sight)`).toEqual(expected);
  const before = fast.planExecutor?.fast ?? 0;
  const actual = await post(fastUrl, variant);
  expect(actual, variant.label).toEqual(expected);
  return (fast.planExecutor?.fast ?? 0) === before + 1;
}

const field = (name: string, alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: name },
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
});

const conditionDirective = (name: 'skip' | 'include', variable: string): DirectiveNode => ({
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: name },
  arguments: [
    {
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: 'if' },
      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
    },
  ],
});

const booleanVariable = (name: string, defaultValue?: boolean): VariableDefinitionNode => ({
  kind: Kind.VARIABLE_DEFINITION,
  variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
  type:
    defaultValue === undefined
      ? { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Boolean' } } }
      : { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Boolean' } },
  ...(defaultValue === undefined ? {} : { defaultValue: { kind: Kind.BOOLEAN, value: defaultValue } }),
});

/** Every field of the document in order, numbered; `leaf` says whether it has no selections. */
function countFields(document: DocumentNode): { leaves: number; composites: number } {
  let leaves = 0;
  let composites = 0;
  visit(document, {
    Field(node) {
      if (node.selectionSet) composites++;
      else leaves++;
    },
  });
  return { leaves, composites };
}

/** Applies `change` to the n-th field (of the kind asked) in document order. */
function mapNthField(
  document: DocumentNode,
  composite: boolean,
  n: number,
  change: (node: FieldNode) => FieldNode | null,
): DocumentNode {
  let index = -1;
  return visit(document, {
    Field(node) {
      if (Boolean(node.selectionSet) !== composite) return undefined;
      index++;
      return index === n ? change(node) : undefined;
    },
  });
}

function withVariables(document: DocumentNode, definitions: VariableDefinitionNode[]): DocumentNode {
  return visit(document, {
    OperationDefinition(node) {
      return { ...node, variableDefinitions: [...(node.variableDefinitions ?? []), ...definitions] };
    },
  });
}

/** Wraps every selection set of object type in an inline fragment on that type (`typed`) or without one. */
function inlineFragments(document: DocumentNode, typed: boolean): DocumentNode {
  const typeInfo = new TypeInfo(apiSchema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet: {
        leave(node: SelectionSetNode): SelectionSetNode {
          const type = getNamedType(typeInfo.getType() ?? typeInfo.getParentType());
          const typeName = type?.name ?? 'Query';
          return {
            kind: Kind.SELECTION_SET,
            selections: [
              {
                kind: Kind.INLINE_FRAGMENT,
                ...(typed
                  ? { typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: typeName } } }
                  : {}),
                selectionSet: node,
              },
            ],
          };
        },
      },
    }),
  );
}

/** Moves each composite field's selections into a named fragment on its type. */
function namedFragments(document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(apiSchema);
  const fragments: FragmentDefinitionNode[] = [];
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(node: FieldNode): FieldNode {
          if (!node.selectionSet) return node;
          const type = getNamedType(typeInfo.getType());
          if (!type) return node;
          const name = `F${fragments.length}`;
          fragments.push({
            kind: Kind.FRAGMENT_DEFINITION,
            name: { kind: Kind.NAME, value: name },
            typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: type.name } },
            selectionSet: node.selectionSet,
          });
          return {
            ...node,
            selectionSet: {
              kind: Kind.SELECTION_SET,
              selections: [{ kind: Kind.FRAGMENT_SPREAD, name: { kind: Kind.NAME, value: name } }],
            },
          };
        },
      },
    }),
  );
  return { ...rewritten, definitions: [...rewritten.definitions, ...fragments] };
}

function aliasFields(document: DocumentNode, every: number): DocumentNode {
  let index = 0;
  return visit(document, {
    Field(node) {
      index++;
      return index % every === 0 && !node.alias
        ? { ...node, alias: { kind: Kind.NAME, value: `a${index}` } }
        : undefined;
    },
  });
}

function addTypenames(document: DocumentNode, alias?: string): DocumentNode {
  return visit(document, {
    SelectionSet(node) {
      return { ...node, selections: [field('__typename', alias), ...node.selections] };
    },
  });
}

/** Each composite field twice: once as written, once aliased with only its first selection. */
function duplicateComposites(document: DocumentNode): DocumentNode {
  let index = 0;
  return visit(document, {
    SelectionSet(node) {
      const extra = node.selections.flatMap((selection) => {
        if (selection.kind !== Kind.FIELD || !selection.selectionSet) return [];
        const first = selection.selectionSet.selections[0];
        if (!first) return [];
        index++;
        return [
          {
            ...selection,
            alias: { kind: Kind.NAME, value: `dup${index}` },
            selectionSet: { kind: Kind.SELECTION_SET, selections: [first] },
          } satisfies FieldNode,
        ];
      });
      return { ...node, selections: [...node.selections, ...extra] };
    },
  });
}

/** Ids to run each example with besides its defaults (one known, one unknown). */
const alternateVariables: Record<string, Record<string, unknown>[]> = {
  'agreementsForThreatFocusArea.graphql': [{ id: 'cyber-intrusion' }, { id: 'no-such-area' }],
  'agreementsSignedSince.graphql': [{ year: 2020 }, { year: 3000 }],
  'landBorderPartners.graphql': [{}],
  'partnerProfile.graphql': [{ id: 'mexico' }, { id: 'nato' }, { id: 'no-such-partner' }],
  'sectorOverview.graphql': [{ id: 'water' }, { id: 'no-such-sector' }, { maxHops: 99 }, { maxHops: 0 }],
};

function generateVariants(): Variant[] {
  const variants: Variant[] = [];
  for (const { name, document } of examples) {
    const add = (label: string, doc: DocumentNode, variables?: Record<string, unknown>) =>
      variants.push({ label: `${name} ${label}`, query: print(doc), ...(variables ? { variables } : {}) });
    add('as written', document);
    for (const variables of alternateVariables[name] ?? [])
      add(`variables ${JSON.stringify(variables)}`, document, variables);
    add('aliases on every field', aliasFields(document, 1));
    add('aliases on every third field', aliasFields(document, 3));
    add('__typename everywhere', addTypenames(document));
    add('aliased __typename everywhere', addTypenames(document, 'kind_of'));
    add('typed inline fragments', inlineFragments(document, true));
    add('untyped inline fragments', inlineFragments(document, false));
    add('named fragments', namedFragments(document));
    add('duplicated composite fields', duplicateComposites(document));
    const { leaves, composites } = countFields(document);
    for (let leaf = 0; leaf < leaves; leaf++) {
      const removed = mapNthField(document, false, leaf, () => null);
      // Removing a field's only selection leaves invalid GraphQL; the validation answers are
      // equal too but prove nothing about the executor, so such variants are left out.
      if (validate(apiSchema, removed).length === 0) add(`without leaf ${leaf}`, removed);
    }
    for (let composite = 0; composite < composites; composite++) {
      const included = withVariables(
        mapNthField(document, true, composite, (node) => ({
          ...node,
          directives: [...(node.directives ?? []), conditionDirective('include', 'on')],
        })),
        [booleanVariable('on')],
      );
      add(`@include(if: true) on composite ${composite}`, included, { on: true });
      add(`@include(if: false) on composite ${composite}`, included, { on: false });
      const skipped = withVariables(
        mapNthField(document, true, composite, (node) => ({
          ...node,
          directives: [...(node.directives ?? []), conditionDirective('skip', 'off')],
        })),
        [booleanVariable('off', true)],
      );
      add(`@skip(if: $off = true) on composite ${composite}`, skipped);
      add(`@skip(if: false) on composite ${composite}`, skipped, { off: false });
    }
  }
  // Errors from subgraphs, at the root and inside entity fetches, and nulls.
  const extra: [string, string, Record<string, unknown>?][] = [
    ['bad cursor at the root', '{ agreements(first: 5, after: "not-a-cursor") { totalCount nodes { title } } }'],
    [
      'bad cursor inside an entity fetch',
      '{ partners(first: 3) { nodes { name agreements(first: 2, after: "bad") { nodes { title } } } } }',
    ],
    ['cascade out of range', '{ sector(id: "energy") { name cascade(maxHops: 99) { hops sector { name } } } }'],
    [
      'cascade out of range in a list',
      '{ sectors(first: 4) { nodes { id name cascade(maxHops: 99) { hops } threatFocusAreas { name } } } }',
    ],
    ['unknown ids', '{ partner(id: "nope") { name } sector(id: "nope") { name } agreement(id: "nope") { title } }'],
    [
      'variables for ids',
      'query Q($p: ID!, $s: ID!) { partner(id: $p) { name agreements(first: 3) { nodes { title sectors { name } } } } sector(id: $s) { name } }',
      { p: 'canada', s: 'energy' },
    ],
  ];
  for (const [label, query, variables] of extra) variants.push({ label, query, ...(variables ? { variables } : {}) });
  return variants;
}

describe('PLAN_EXECUTOR=fast answers exactly as the stock executor', () => {
  const variants = generateVariants();

  test('the switch is off by default: the system gateway runs the stock executor untouched', () => {
    expect(parseGatewayConfig({}).PLAN_EXECUTOR).toBe('stock');
    expect(system.gateway.planExecutor).toBeUndefined();
    expect(fast.planExecutor).toBeDefined();
  });

  test(`${variants.length} generated operations: equal responses, and the fast path really ran`, async () => {
    expect(variants.length).toBeGreaterThan(250);
    let viaFastPath = 0;
    for (const variant of variants) if (await compare(variant)) viaFastPath++;
    // Our supergraph has no abstract types and these operations no introspection: every one must
    // have gone through the fast path on its second sight.
    expect(viaFastPath).toBe(variants.length);
  }, 600_000);

  test('a stopped subgraph: equal errors and partial data', async () => {
    const stopped = system.subgraphs.find((subgraph) => subgraph.name === 'threat-focus-areas');
    expect(stopped).toBeDefined();
    await stopped?.stop();
    let viaFastPath = 0;
    const affected = examples.map(({ name, document }) => ({
      label: `${name} (subgraph stopped)`,
      query: print(document),
    }));
    for (const variant of affected) {
      const expected = await post(system.gatewayUrl, variant);
      const before = fast.planExecutor?.fast ?? 0;
      // Plans are stored from the first test, so one request each keeps the two gateways in step.
      expect(await post(fastUrl, variant), variant.label).toEqual(expected);
      if ((fast.planExecutor?.fast ?? 0) === before + 1) viaFastPath++;
    }
    expect(viaFastPath).toBe(affected.length);
  }, 120_000);
});
