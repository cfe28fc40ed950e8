import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { parse, print } from 'graphql';
import { describe, expect, test } from 'vitest';
import { hasDeferDirective, withoutDeferDirectives } from './deferDocuments.js';

const requestFor = (query: string, operationName?: string) =>
  ({
    document: parse(query),
    request: { query, ...(operationName ? { operationName } : {}) },
    queryHash: 'with-defer',
  }) as unknown as GatewayGraphQLRequestContext;

describe('withoutDeferDirectives', () => {
  test('drops @defer, unwraps bare deferred fragments, and keys the plan cache by the new text', () => {
    const request = requestFor('query Q { a ... @defer { b } ... on T @defer(label: "x") { c } }', 'Q');
    const rewritten = withoutDeferDirectives(request);
    expect(print(rewritten.document)).toBe('query Q {\n  a\n  b\n  ... on T {\n    c\n  }\n}');
    expect(hasDeferDirective(rewritten.document)).toBe(false);
    expect(rewritten.operation?.name?.value).toBe('Q');
    expect(rewritten.queryHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rewritten.queryHash).not.toBe(request.queryHash);
  });

  test('is made once per document and operation name, however many requests bring it', () => {
    const request = requestFor('query A { a ... @defer { b } } query B { b ... @defer { a } }', 'A');
    const first = withoutDeferDirectives(request);
    expect(withoutDeferDirectives({ ...request }).document).toBe(first.document);
    const other = withoutDeferDirectives({ ...request, request: { ...request.request, operationName: 'B' } });
    expect(other.operation?.name?.value).toBe('B');
  });
});
