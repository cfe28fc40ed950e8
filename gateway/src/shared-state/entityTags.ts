import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  getDirectiveValues,
  getNullableType,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

export interface EntityTags {
  /** `Type` and `Type:id` for every object in the answer whose type has an `id` field. */
  readonly tags: Set<string>;
  /**
   * False when some such object came back without its `id` (not selected), or an abstract-typed
   * object without `__typename`: the answer cannot be invalidated precisely, so it is not cached.
   */
  readonly complete: boolean;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  tags: Set<string>;
  complete: boolean;
}

/** The entity tags of a query's answer, read by walking the data along the operation and schema. */
export function entityTagsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  data: Record<string, unknown>,
): EntityTags {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const walk: Walk = { schema, fragments, variables, tags: new Set(), complete: true };
  const root = schema.getRootType(operation.operation);
  if (root) walkObject(walk, root, [operation.selectionSet], data);
  return { tags: walk.tags, complete: walk.complete };
}

function isIncluded(walk: Walk, node: SelectionNode): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.if !== false;
}

function appliesTo(walk: Walk, typeCondition: string | undefined, runtimeType: GraphQLObjectType): boolean {
  if (typeCondition === undefined || typeCondition === runtimeType.name) return true;
  const conditionType = walk.schema.getType(typeCondition);
  return (
    conditionType !== undefined && isAbstractType(conditionType) && walk.schema.isSubType(conditionType, runtimeType)
  );
}

/** Response key -> field nodes, through fragments, as execution would collect them. */
function collectFields(
  walk: Walk,
  runtimeType: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  fields = new Map<string, FieldNode[]>(),
  visitedFragments = new Set<string>(),
): Map<string, FieldNode[]> {
  for (const selectionSet of selectionSets) {
    for (const selection of selectionSet.selections) {
      if (!isIncluded(walk, selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        fields.set(key, [...(fields.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (appliesTo(walk, selection.typeCondition?.name.value, runtimeType))
          collectFields(walk, runtimeType, [selection.selectionSet], fields, visitedFragments);
      } else {
        const name = selection.name.value;
        const fragment = walk.fragments.get(name);
        if (visitedFragments.has(name) || !fragment) continue;
        visitedFragments.add(name);
        if (appliesTo(walk, fragment.typeCondition.name.value, runtimeType))
          collectFields(walk, runtimeType, [fragment.selectionSet], fields, visitedFragments);
      }
    }
  }
  return fields;
}

function walkObject(
  walk: Walk,
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  value: Record<string, unknown>,
): void {
  const fields = collectFields(walk, type, selectionSets);
  const definitions = type.getFields();
  if (definitions.id) {
    // The type is tagged even without an id, so a write answer lacking ids still names the types it touched.
    walk.tags.add(type.name);
    const idKey = [...fields].find(([, nodes]) => nodes[0]?.name.value === 'id')?.[0];
    const id = idKey === undefined ? undefined : value[idKey];
    if (typeof id === 'string' || typeof id === 'number') walk.tags.add(`${type.name}:${String(id)}`);
    else walk.complete = false;
  }
  for (const [key, nodes] of fields) {
    const name = nodes[0]?.name.value;
    const definition = name === undefined ? undefined : definitions[name];
    if (definition) walkValue(walk, definition.type, nodes, value[key]);
  }
}

function walkValue(walk: Walk, type: GraphQLOutputType, nodes: readonly FieldNode[], value: unknown): void {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (Array.isArray(value)) for (const item of value) walkValue(walk, nullable.ofType, nodes, item);
    return;
  }
  if (!isCompositeType(nullable) || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  let runtimeType: GraphQLObjectType | undefined = isObjectType(nullable) ? nullable : undefined;
  if (!runtimeType) {
    const typename = object.__typename;
    const named = typeof typename === 'string' ? walk.schema.getType(typename) : undefined;
    runtimeType = named && isObjectType(named) ? named : undefined;
  }
  if (!runtimeType) {
    walk.complete = false;
    return;
  }
  const selectionSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  walkObject(walk, runtimeType, selectionSets, object);
}
