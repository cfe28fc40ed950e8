import { buildSchema, Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, test } from 'vitest';
import { fragmentBody } from './fragmentBody.js';

const schema = buildSchema(`
  type Query { node: Node }
  interface Node { id: ID! }
  type Partner implements Node { id: ID! name: String }
  scalar Stamp
`);

function parts(query: string) {
  const document = parse(query, { noLocation: true });
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  )!;
  const node = operation.selectionSet.selections[0]!;
  if (node.kind !== Kind.FIELD) throw new Error('expected a field');
  const [selection] = node.selectionSet!.selections;
  if (!selection || selection.kind === Kind.FIELD) throw new Error('expected a fragment');
  return { selection, fragments };
}

describe('fragmentBody', () => {
  test('an inline fragment: its condition and selections', () => {
    const { selection, fragments } = parts('{ node { ... on Partner { name } } }');
    const body = fragmentBody(selection, fragments, schema);
    expect(body?.condition?.name).toBe('Partner');
    expect(body?.selectionSet.selections).toHaveLength(1);
  });

  test('an inline fragment without a condition has none', () => {
    const { selection, fragments } = parts('{ node { ... { id } } }');
    const body = fragmentBody(selection, fragments, schema);
    expect(body).toBeDefined();
    expect(body?.condition).toBeUndefined();
  });

  test("a spread: its fragment's condition and selections", () => {
    const { selection, fragments } = parts('{ node { ...P } } fragment P on Node { id }');
    expect(fragmentBody(selection, fragments, schema)?.condition?.name).toBe('Node');
  });

  test('a spread of an unknown fragment, or a condition on no composite type, is undefined', () => {
    expect(fragmentBody(parts('{ node { ...Missing } }').selection, {}, schema)).toBeUndefined();
    const { selection, fragments } = parts('{ node { ... on Stamp { id } } }');
    expect(fragmentBody(selection, fragments, schema)).toBeUndefined();
    const unknown = parts('{ node { ... on Nowhere { id } } }');
    expect(fragmentBody(unknown.selection, unknown.fragments, schema)).toBeUndefined();
  });
});
