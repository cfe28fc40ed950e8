import { Kind, buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { entityTagsOf } from './entityTags.js';

const schema = buildSchema(`
  type Query { partner(id: ID!): Partner, partners: PartnerConnection!, search: [Result!]! }
  type PartnerConnection { nodes: [Partner!]!, totalCount: Int! }
  type Partner { id: ID!, name: String!, agreements: [Agreement!]! }
  type Agreement { id: ID!, title: String! }
  union Result = Partner | Agreement
`);

function tagsOf(query: string, data: Record<string, unknown>, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const { tags, complete } = entityTagsOf(schema, document, operation, variables, data);
  return { tags: [...tags].sort(), complete };
}

describe('entityTagsOf', () => {
  it('tags every entity of the answer by type and id, through lists, aliases and fragments', () => {
    const result = tagsOf(
      `{ p: partner(id: "canada") { key: id ...F } partners { nodes { id name } totalCount } }
       fragment F on Partner { agreements { ... on Agreement { id title } } }`,
      {
        p: { key: 'canada', agreements: [{ id: 'g8-2006', title: 'x' }] },
        partners: { nodes: [{ id: 'mexico', name: 'Mexico' }], totalCount: 1 },
      },
    );
    expect(result).toEqual({
      tags: ['Agreement', 'Agreement:g8-2006', 'Partner', 'Partner:canada', 'Partner:mexico'],
      complete: true,
    });
  });

  it('is incomplete when an entity came back without its id (it could not be invalidated precisely)', () => {
    expect(tagsOf('{ partner(id: "canada") { name } }', { partner: { name: 'Canada' } }).complete).toBe(false);
  });

  it('needs __typename for abstract types, and honours @skip / @include', () => {
    const union = '{ search { __typename ... on Partner { id } ... on Agreement { id } } }';
    expect(tagsOf(union, { search: [{ __typename: 'Agreement', id: 'a' }] })).toEqual({
      tags: ['Agreement', 'Agreement:a'],
      complete: true,
    });
    expect(tagsOf('{ search { ... on Partner { id } } }', { search: [{ id: 'canada' }] }).complete).toBe(false);
    const skipped = tagsOf(
      'query ($s: Boolean!) { partner(id: "c") { id @skip(if: $s) } }',
      { partner: {} },
      { s: true },
    );
    expect(skipped.complete).toBe(false);
  });

  it('leaves null answers and entity-free answers untagged', () => {
    expect(tagsOf('{ partner(id: "x") { id } }', { partner: null })).toEqual({ tags: [], complete: true });
    expect(tagsOf('{ partners { totalCount } }', { partners: { totalCount: 3 } })).toEqual({
      tags: [],
      complete: true,
    });
  });
});
