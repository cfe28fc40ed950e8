import { createHash } from 'node:crypto';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  BREAK,
  Kind,
  print,
  visit,
  type DocumentNode,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

const hasDefer = new WeakMap<DocumentNode, boolean>();

/** An inline fragment that only defers: no type condition, no other directive. */
function isBareDeferredFragment(selection: SelectionNode): selection is InlineFragmentNode {
  return (
    selection.kind === Kind.INLINE_FRAGMENT &&
    !selection.typeCondition &&
    (selection.directives ?? []).length > 0 &&
    (selection.directives ?? []).every((directive) => directive.name.value === 'defer')
  );
}

/** Whether the document uses `@defer` anywhere. */
export function hasDeferDirective(document: DocumentNode): boolean {
  let found = hasDefer.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Directive(node) {
        if (node.name.value !== 'defer') return undefined;
        found = true;
        return BREAK;
      },
    });
    hasDefer.set(document, found);
  }
  return found;
}

/**
 * The request as if sent without `@defer`: its own document and plan-cache key (`queryHash`), for
 * the stock executor, which cannot run Defer nodes (everything arrives in one response, as it would
 * without the directive).
 */
export function withoutDeferDirectives(requestContext: GatewayGraphQLRequestContext): GatewayGraphQLRequestContext {
  const document = visit(requestContext.document, {
    // `... @defer { a }` is `a`: unwrapped, so that two of them in one selection set do not become
    // two inline fragments of the same condition (which only the stock executor runs, reordered).
    SelectionSet(node) {
      if (!node.selections.some(isBareDeferredFragment)) return undefined;
      const unwrap = (selection: SelectionNode): SelectionNode[] =>
        isBareDeferredFragment(selection) ? selection.selectionSet.selections.flatMap(unwrap) : [selection];
      return { ...node, selections: node.selections.flatMap(unwrap) };
    },
    Directive: (node) => (node.name.value === 'defer' ? null : undefined),
  });
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      (requestContext.request.operationName === undefined ||
        definition.name?.value === requestContext.request.operationName),
  );
  return {
    ...requestContext,
    document,
    ...(operation ? { operation } : {}),
    queryHash: createHash('sha256').update(print(document)).digest('hex'),
  };
}
