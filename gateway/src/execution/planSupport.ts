import type { PlanNode, QueryPlan, QueryPlanSelectionNode, SubscriptionNode } from '@apollo/query-planner';
import {
  getNamedType,
  isObjectType,
  Kind,
  OperationTypeNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether the fast executor runs this plan: only Sequence, Parallel, Flatten, Fetch (without data
 * rewrites, which @interfaceObject and @context need) and Condition nodes, and only entity
 * representations whose type conditions are object types. Anything else goes to the stock executor.
 */
export function isSupportedPlan(plan: QueryPlan, schema: GraphQLSchema): boolean {
  return plan.node !== undefined && isSupportedNode(plan.node, schema);
}

function isSupportedNode(node: PlanNode | SubscriptionNode, schema: GraphQLSchema): boolean {
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      return node.nodes.every((child) => isSupportedNode(child, schema));
    case 'Flatten':
      return isSupportedNode(node.node, schema);
    case 'Condition':
      return (
        (node.ifClause === undefined || isSupportedNode(node.ifClause, schema)) &&
        (node.elseClause === undefined || isSupportedNode(node.elseClause, schema))
      );
    case 'Fetch':
      return (
        !node.hasDefers &&
        (node.inputRewrites?.length ?? 0) === 0 &&
        (node.outputRewrites?.length ?? 0) === 0 &&
        (node.contextRewrites?.length ?? 0) === 0 &&
        (node.requires === undefined || node.requires.every((selection) => isConcreteRequire(selection, schema)))
      );
    case 'Defer':
    case 'Subscription':
      return false;
  }
}

function isConcreteRequire(selection: QueryPlanSelectionNode, schema: GraphQLSchema): boolean {
  if (selection.kind === 'InlineFragment') {
    const condition = selection.typeCondition ? schema.getType(selection.typeCondition) : undefined;
    return isObjectType(condition) && selection.selections.every((inner) => isConcreteRequire(inner, schema));
  }
  return true;
}

/**
 * Whether the operation's selections stay on object types (no interfaces or unions, no
 * introspection other than `__typename`), which is what the fast result shaping handles.
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
  return selectionSetSupported(operation.selectionSet, root, fragments, schema, new Set());
}

function selectionSetSupported(
  selectionSet: SelectionSetNode,
  parentType: GraphQLObjectType,
  fragments: Record<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
  visiting: Set<string>,
): boolean {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (name.startsWith('__')) return false;
      const field = parentType.getFields()[name];
      if (!field) return false;
      const named = getNamedType(field.type);
      if (selection.selectionSet) {
        if (!isObjectType(named)) return false;
        if (!selectionSetSupported(selection.selectionSet, named, fragments, schema, visiting)) return false;
      }
    } else {
      let typeCondition: string | undefined;
      let inner: SelectionSetNode;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        typeCondition = selection.typeCondition?.name.value;
        inner = selection.selectionSet;
      } else {
        const fragment = fragments[selection.name.value];
        if (!fragment || visiting.has(fragment.name.value)) return false;
        typeCondition = fragment.typeCondition.name.value;
        inner = fragment.selectionSet;
      }
      const conditionType = typeCondition === undefined ? parentType : schema.getType(typeCondition);
      // A fragment on another object type than its parent can never apply on concrete types; the
      // stock shaping handles that (it is valid GraphQL only for abstract parents anyway).
      if (!isObjectType(conditionType) || conditionType !== parentType) return false;
      const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (name) visiting.add(name);
      const supported = selectionSetSupported(inner, conditionType, fragments, schema, visiting);
      if (name) visiting.delete(name);
      if (!supported) return false;
    }
  }
  return true;
}
