import { Kind, parse, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { connectionParts, encodeCursor, parsePage, toConnection } from './pagination.js';

/** The `info` of the first field of `query`'s operation, as a resolver of that field gets it. */
function infoOf(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION) as OperationDefinitionNode;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

describe('pages and cursors', () => {
  it('defaults to 20 and accepts 0 to 100', () => {
    expect(parsePage({})).toEqual({ size: 20, afterKey: null });
    expect(parsePage({ first: 0 }).size).toBe(0);
    expect(parsePage({ first: 100 }).size).toBe(100);
  });

  it.each([-1, 101, 1.5])('refuses first = %s with BAD_USER_INPUT naming the argument', (first) => {
    expect(() => parsePage({ first })).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'first' } }),
    );
  });

  it('round-trips a sort key through an opaque cursor, and refuses a forged one', () => {
    const cursor = encodeCursor('security-and-prosperity-partnership');
    expect(cursor).not.toContain('security');
    expect(parsePage({ after: cursor }).afterKey).toBe('security-and-prosperity-partnership');
    expect(() => parsePage({ after: Buffer.from('other:thing').toString('base64url') })).toThrow(
      expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } }),
    );
  });

  it('uses the extra row only to say there is a next page', () => {
    const rows = ['a', 'b', 'c'].map((key) => ({ key, node: key.toUpperCase() }));
    const page = toConnection(rows, { size: 2, afterKey: null }, 7);
    expect(page.nodes).toEqual(['A', 'B']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('b') });
    expect(page.totalCount).toBe(7);
    expect(toConnection(rows, { size: 3, afterKey: null }, 3).pageInfo.hasNextPage).toBe(false);
    expect(toConnection([], { size: 3, afterKey: null }, 0).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('reads only the parts of a connection the query selects, through fragments too', () => {
    expect(connectionParts(infoOf('{ list { totalCount } }'))).toEqual({ totalCount: true, rows: false });
    expect(connectionParts(infoOf('{ list { nodes { id } } }'))).toEqual({ totalCount: false, rows: true });
    expect(connectionParts(infoOf('{ list { pageInfo { hasNextPage } } }'))).toEqual({ totalCount: false, rows: true });
    expect(connectionParts(infoOf('{ list { __typename } }'))).toEqual({ totalCount: false, rows: false });
    expect(
      connectionParts(infoOf('{ list { ... on C { edges { cursor } } ...Total } } fragment Total on C { totalCount }')),
    ).toEqual({ totalCount: true, rows: true });
    expect(parsePage({ first: 5 }, infoOf('{ list { totalCount } }')).parts).toEqual({ totalCount: true, rows: false });
  });

  it('gives NaN for a count the query did not ask for, which GraphQL refuses to serialize as an Int', () => {
    const page = { size: 2, afterKey: null, parts: { totalCount: false, rows: true } };
    expect(toConnection([], page, Number.NaN).totalCount).toBeNaN();
  });
});
