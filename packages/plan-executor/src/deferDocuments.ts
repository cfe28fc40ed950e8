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

/** What a request becomes without its `@defer`s. */
interface WithoutDefer {
  readonly document: DocumentNode;
  readonly operation?: OperationDefinitionNode;
  readonly queryHash: string;
}

/** Per document and operation name, made once: the same document recurs, request after request. */
const withoutDefer = new WeakMap<DocumentNode, Map<string | undefined, WithoutDefer>>();

/**
 * The request as if sent without `@defer`: its own document and plan-cache key (`queryHash`), for
 * the stock executor, which cannot run Defer nodes (everything arrives in one response, as it would
 * without the directive).
 */
export function withoutDeferDirectives(requestContext: GatewayGraphQLRequestContext): GatewayGraphQLRequestContext {
  const { operationName } = requestContext.request;
  let byName = withoutDefer.get(requestContext.document);
  if (!byName) withoutDefer.set(requestContext.document, (byName = new Map<string | undefined, WithoutDefer>()));
  let rewritten = byName.get(operationName);
  if (!rewritten) {
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
        (operationName === undefined || definition.name?.value === operationName),
    );
    rewritten = {
      document,
      ...(operation ? { operation } : {}),
      queryHash: createHash('sha256').update(print(document)).digest('hex'),
    };
    byName.set(operationName, rewritten);
  }
  return { ...requestContext, ...rewritten };
}
