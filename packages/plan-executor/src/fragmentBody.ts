import {
  Kind,
  isCompositeType,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type SelectionSetNode,
} from 'graphql';

export interface FragmentBody {
  /** The type condition's type; absent on an inline fragment without a condition. */
  readonly condition?: GraphQLCompositeType;
  readonly selectionSet: SelectionSetNode;
}

/**
 * What an inline fragment or a fragment spread selects, and on which type: undefined for a spread
 * of an unknown fragment or a condition that names no composite type (each caller decides whether
 * that refuses a plan or is a broken document).
 */
export function fragmentBody(
  selection: InlineFragmentNode | FragmentSpreadNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  schema: GraphQLSchema,
): FragmentBody | undefined {
  const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
  if (!fragment) return undefined;
  const conditionName = fragment.typeCondition?.name.value;
  if (conditionName === undefined) return { selectionSet: fragment.selectionSet };
  const condition = schema.getType(conditionName);
  return isCompositeType(condition) ? { condition, selectionSet: fragment.selectionSet } : undefined;
}
