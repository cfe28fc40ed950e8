import type { PlanNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import {
  getNamedType,
  isCompositeType,
  isUnionType,
  Kind,
  OperationTypeNode,
  print,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type DirectiveNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';
import { fragmentBody } from './fragmentBody.js';

/**
 * Whether the fast executor runs this plan: Sequence, Parallel, Flatten, Fetch (with the data
 * rewrites @interfaceObject needs, but not the context rewrites of @context), Condition and Defer
 * nodes (deferExecution.ts). Subscription nodes go to the stock executor.
 */
export function isSupportedPlan(plan: QueryPlan): boolean {
  return plan.node !== undefined && isSupportedNode(plan.node);
}

export function isSupportedNode(node: PlanNode | SubscriptionNode): boolean {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every((child) => isSupportedNode(child));
    case 'Flatten':
      return isSupportedNode(node.node);
    case 'Condition':
      return (
        (node.ifClause === undefined || isSupportedNode(node.ifClause)) &&
        (node.elseClause === undefined || isSupportedNode(node.elseClause))
      );
    case 'Fetch':
      return (
        !node.hasDefers &&
        (node.contextRewrites?.length ?? 0) === 0 &&
        [...(node.inputRewrites ?? []), ...(node.outputRewrites ?? [])].every(
          (rewrite) => rewrite.kind === 'ValueSetter' || rewrite.kind === 'KeyRenamer',
        )
      );
    case 'Defer':
      return (
        (node.primary.node === undefined || isSupportedNode(node.primary.node)) &&
        node.deferred.every((deferred) => deferred.node === undefined || isSupportedNode(deferred.node))
      );
    case 'Subscription':
      return false;
  }
}

/** Whether the plan has a Defer node (at its root, or under the Condition nodes of `@defer(if: $variable)`). */
export function planHasDefer(node: PlanNode | SubscriptionNode | undefined): boolean {
  if (!node) return false;
  if (node.kind === 'Defer') return true;
  return node.kind === 'Condition' && (planHasDefer(node.ifClause) || planHasDefer(node.elseClause));
}

/**
 * Whether the fast result shaping handles the operation: queries and mutations without
 * introspection other than `__typename`, and without two inline fragments of the same condition
 * and directives in one selection set. Stock merges selections of the same key (a field's response
 * name and directives, a fragment's condition and directives) into the first one, which for
 * fragments changes the order of the response's keys; ours walks the document as written.
 * Repeated fields are merged here the same way before their selections are checked.
 */
export function isSupportedOperation(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
): boolean {
  if (operation.operation !== OperationTypeNode.QUERY && operation.operation !== OperationTypeNode.MUTATION)
    return false;
  const root = operation.operation === OperationTypeNode.QUERY ? schema.getQueryType() : schema.getMutationType();
  if (!root) return false;
  return selectionsSupported(operation.selectionSet.selections, root, fragments, schema, new Set());
}

/** The same rules for a subscription's selections, on the Subscription root (subscriptions run on our executor only). */
export function isSupportedSubscription(
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
): boolean {
  const root = schema.getSubscriptionType();
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION || !root) return false;
  return selectionsSupported(operation.selectionSet.selections, root, fragments, schema, new Set());
}

let deferredFragments = 0;
/**
 * A selection's directives as stock keys them; like stock's `keyForDirective`, a `@defer` is never
 * equal to another (each deferred fragment is its own part), so its key is unique.
 */
const directivesKey = (directives: readonly DirectiveNode[] | undefined): string =>
  (directives ?? [])
    .map((directive) => (directive.name.value === 'defer' ? `@defer#${++deferredFragments}` : print(directive)))
    .join(' ');

function selectionsSupported(
  selections: readonly SelectionNode[],
  parentType: GraphQLCompositeType,
  fragments: Record<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
  visiting: Set<string>,
): boolean {
  const inlineFragmentKeys = new Set<string>();
  // Each composite field's selections, over all its occurrences (by key, in first-seen order).
  const compositeFields = new Map<string, { type: GraphQLCompositeType; selections: SelectionNode[] }>();
  for (const selection of selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (name.startsWith('__') || isUnionType(parentType)) return false;
      const field = parentType.getFields()[name];
      if (!field) return false;
      const named = getNamedType(field.type);
      if (selection.selectionSet) {
        if (!isCompositeType(named)) return false;
        const key = `${selection.alias?.value ?? name}${directivesKey(selection.directives)}`;
        const merged = compositeFields.get(key);
        if (merged) merged.selections.push(...selection.selectionSet.selections);
        else compositeFields.set(key, { type: named, selections: [...selection.selectionSet.selections] });
      }
    } else {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const key = `${selection.typeCondition?.name.value ?? ''}${directivesKey(selection.directives)}`;
        if (inlineFragmentKeys.has(key)) return false;
        inlineFragmentKeys.add(key);
      } else if (visiting.has(selection.name.value)) return false;
      const body = fragmentBody(selection, fragments, schema);
      if (!body) return false;
      const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (name) visiting.add(name);
      const inner = body.selectionSet.selections;
      const supported = selectionsSupported(inner, body.condition ?? parentType, fragments, schema, visiting);
      if (name) visiting.delete(name);
      if (!supported) return false;
    }
  }
  for (const { type, selections: merged } of compositeFields.values()) {
    if (!selectionsSupported(merged, type, fragments, schema, visiting)) return false;
  }
  return true;
}
