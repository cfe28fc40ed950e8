import { readFileSync } from 'node:fs';
import { buildSchema as buildFederationSchema, operationFromDocument } from '@apollo/federation-internals';
import { computeResponse } from '@apollo/gateway/dist/resultShaping.js';
import {
  buildSchema,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLError,
  type OperationDefinitionNode,
} from 'graphql';
import { describe, expect, test } from 'vitest';
import { shapeResponse, type ResponseObject } from './resultShaping.js';

/**
 * shapeResponse against @apollo/gateway's own computeResponse on merged data the real subgraphs
 * never send (nulls in non-null places, invalid leaf values, unknown __typename), so null
 * propagation and the errors it raises are proven equal too, not only the happy path.
 */

const sdl = readFileSync(new URL('../../../schema/api.graphql', import.meta.url), 'utf8');
const schema = buildSchema(sdl);
const federationSchema = buildFederationSchema(sdl);

function both(query: string, input: ResponseObject, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  if (!operation) throw new Error('no operation');
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const rootType = schema.getQueryType();
  if (!rootType) throw new Error('no query type');
  const ours = shapeResponse(input, operation.selectionSet, rootType, schema, fragments, variables);
  const stock = computeResponse({
    operation: operationFromDocument(federationSchema, document, { validate: false }),
    variables,
    input: structuredClone(input),
    introspectionHandling: () => null,
  });
  const summary = (result: { data: unknown; errors: readonly GraphQLError[] }) => ({
    data: JSON.parse(JSON.stringify(result.data)) as unknown,
    errors: result.errors.map((error) => ({ message: error.message, path: error.path, code: error.extensions.code })),
  });
  return { ours: summary(ours), stock: summary(stock) };
}

const cases: [string, string, ResponseObject, Record<string, unknown>?][] = [
  ['complete data', '{ partner(id: "x") { id name kind } }', { partner: { id: 'x', name: 'X', kind: 'COUNTRY' } }],
  [
    'null in a non-null leaf bubbles to the nullable parent',
    '{ partner(id: "x") { id name } }',
    { partner: { id: 'x', name: null } },
  ],
  [
    'null in a non-null list element bubbles through the list',
    '{ partners { totalCount nodes { name } } }',
    { partners: { totalCount: 2, nodes: [{ name: 'a' }, { name: null }] } },
  ],
  ['null at a non-null root field nulls data', '{ partners { totalCount } }', { partners: null }],
  ['missing field counts as null', '{ partner(id: "x") { id name region } }', { partner: { id: 'x', name: 'X' } }],
  ['invalid enum value', '{ partner(id: "x") { kind } }', { partner: { kind: 'PLANET' } }],
  ['string where an Int is expected', '{ partners { totalCount } }', { partners: { totalCount: 'many' } }],
  ['float where an Int is expected', '{ partners { totalCount } }', { partners: { totalCount: 1.5 } }],
  ['unknown __typename', '{ partner(id: "x") { name } }', { partner: { __typename: 'Planet', name: 'X' } }],
  [
    'aliases, __typename and fragments',
    '{ p: partner(id: "x") { t: __typename __typename ...F ... on Partner { k: kind } } } fragment F on Partner { n: name }',
    { p: { t: 'Partner', n: 'X', k: 'COUNTRY' } },
  ],
  [
    'skip and include with variables',
    'query Q($a: Boolean!, $b: Boolean!) { partner(id: "x") { name @skip(if: $a) kind @include(if: $b) ... on Partner @include(if: $a) { region } } }',
    { partner: { name: 'X', kind: 'COUNTRY', region: 'Europe' } },
    { a: true, b: false },
  ],
  [
    'the same field twice merges',
    '{ partner(id: "x") { bodies { name } bodies { description } } }',
    {
      partner: {
        bodies: [
          { name: 'b', description: 'd' },
          { name: 'c', description: 'e' },
        ],
      },
    },
  ],
  [
    'errors at every level of nested lists',
    '{ partners { nodes { name memberOf { asOfYear organization { shortName } } } } }',
    {
      partners: {
        nodes: [
          { name: 'a', memberOf: [{ asOfYear: 2000, organization: { shortName: null } }] },
          { name: 'b', memberOf: [{ asOfYear: null, organization: { shortName: 'o' } }] },
          { name: 'c', memberOf: null },
        ],
      },
    },
  ],
];

describe('shapeResponse equals @apollo/gateway computeResponse', () => {
  test.each(cases)('%s', (_label, query, input, variables) => {
    const { ours, stock } = both(query, input, variables);
    expect(ours).toEqual(stock);
    // The broken inputs must really raise errors (or the comparison proves little).
    const broken = /null|missing|invalid|unknown|where|errors/.test(_label);
    expect(ours.errors.length > 0).toBe(broken);
  });
});
