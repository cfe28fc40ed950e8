import { ERRORS } from '@apollo/federation-internals';
import {
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isScalarType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  Kind,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type DirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLError,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentBody } from './fragmentBody.js';

/** JSON as it comes from a subgraph, merged into one tree. */
export type ResponseObject = Record<string, unknown>;

/**
 * Objects with nothing to inherit, like stock's `Object.create(null)`, but made by a constructor:
 * V8 keeps those in fast mode (shared shapes), whereas `Object.create(null)` starts a dictionary.
 * Building and then serializing a response of such objects takes about half the time.
 */
const InheritNothing = function InheritNothing() {} as unknown as { new (): ResponseObject; prototype: unknown };
InheritNothing.prototype = Object.create(null);

export function newResponseObject(): ResponseObject {
  return new InheritNothing();
}
type Path = (string | number)[];

interface ShapingContext {
  readonly schema: GraphQLSchema;
  readonly fragments: Record<string, FragmentDefinitionNode>;
  /** Request variables over the operation's defaults. */
  readonly variables: Record<string, unknown>;
  readonly errors: GraphQLError[];
  /** The initial payload of a deferred operation: fragments under an active `@defer` are left for their parts. */
  readonly skipDeferred: boolean;
  /**
   * Set by each `updateOutputValue` call for its caller to read right away (stock returns them in
   * an object per value; flags here spare that allocation per field of the response).
   */
  isInvalid: boolean;
  hasErrors: boolean;
}

const integerString = /^[+-]?\d+$/;
const builtInScalars = new Set<string>(['Boolean', 'Float', 'ID', 'Int', 'String']);

/**
 * Shapes the merged subgraph data to the operation, with the semantics of @apollo/gateway's
 * `computeResponse` (same null propagation, same errors and paths), on graphql-js' AST and types
 * instead of @apollo/federation-internals' operation model, whose getters dominate its profile.
 * Only for operations `isSupportedOperation` accepts (no introspection but `__typename`).
 */
export function shapeResponse(
  input: ResponseObject,
  selectionSet: SelectionSetNode,
  rootType: GraphQLObjectType,
  schema: GraphQLSchema,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  { skipDeferred = false }: { skipDeferred?: boolean } = {},
): { data: ResponseObject | null; errors: GraphQLError[] } {
  return shapeAt(input, selectionSet, [], rootType, rootType, { schema, fragments, variables, skipDeferred });
}

/**
 * Shapes the merged data of one object at `path` (list indices included) to a selection set
 * written on `type`: a deferred part (`DeferredNode.subselection`). Errors carry paths from the
 * response root, and a non-null violation that reaches the object nulls the part's data.
 */
export function shapeAt(
  input: ResponseObject,
  selectionSet: SelectionSetNode,
  path: readonly (string | number)[],
  runtimeType: GraphQLCompositeType,
  type: GraphQLCompositeType,
  options: Pick<ShapingContext, 'schema' | 'fragments' | 'variables' | 'skipDeferred'>,
): { data: ResponseObject | null; errors: GraphQLError[] } {
  const context: ShapingContext = { ...options, errors: [], isInvalid: false, hasErrors: false };
  const data = newResponseObject();
  const ok = applySelections(input, selectionSet.selections, data, [...path], runtimeType, type, context);
  return { data: ok ? data : null, errors: context.errors };
}

/** Whether a fragment is deferred: `@defer` without `if`, or with an `if` that is true. */
export function isDeferred(
  directives: readonly DirectiveNode[] | undefined,
  variables: Record<string, unknown>,
): boolean {
  const defer = directives?.find((directive) => directive.name.value === 'defer');
  if (!defer) return false;
  const condition = defer.arguments?.find((arg) => arg.name.value === 'if')?.value;
  if (condition?.kind === Kind.BOOLEAN) return condition.value;
  if (condition?.kind === Kind.VARIABLE) return variables[condition.name.value] !== false;
  return true;
}

function isSkipped(directives: readonly DirectiveNode[] | undefined, variables: Record<string, unknown>): boolean {
  if (!directives || directives.length === 0) return false;
  let skip = false;
  let include = true;
  for (const directive of directives) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const argument = directive.arguments?.find((arg) => arg.name.value === 'if');
    let value: unknown;
    if (argument?.value.kind === Kind.BOOLEAN) value = argument.value.value;
    else if (argument?.value.kind === Kind.VARIABLE) value = variables[argument.value.name.value];
    if (typeof value !== 'boolean') throw new Error(`Unexpected value ${String(value)} for @${name}(if:)`);
    if (name === 'skip') skip = value;
    else include = value;
  }
  return skip || !include;
}

function getOwn(object: ResponseObject, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

/**
 * federation-internals' `isSubtype` on named types: the same type, an object or interface
 * implementing the interface, or an object member of the union.
 */
export function isSubtype(type: GraphQLNamedType, maybeSubtype: GraphQLNamedType): boolean {
  if (type === maybeSubtype) return true;
  if (isUnionType(type)) return isObjectType(maybeSubtype) && type.getTypes().includes(maybeSubtype);
  return (
    isInterfaceType(type) &&
    (isObjectType(maybeSubtype) || isInterfaceType(maybeSubtype)) &&
    maybeSubtype.getInterfaces().includes(type)
  );
}

/**
 * Returns false when a non-null violation bubbles up to this object. `parentType` is the type stock
 * names in its errors (the object's `__typename`, or the enclosing fragment's condition);
 * `selectionType` is the type the selections are written on, which defines each field's type.
 */
function applySelections(
  input: ResponseObject,
  selections: readonly SelectionNode[],
  output: ResponseObject,
  path: Path,
  parentType: GraphQLCompositeType,
  selectionType: GraphQLCompositeType,
  context: ShapingContext,
): boolean {
  for (const selection of selections) {
    if (isSkipped(selection.directives, context.variables)) continue;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const responseName = selection.alias?.value ?? name;
      const outputValue = output[responseName];
      if (name === '__typename') {
        if (outputValue === undefined) {
          let inputValue = getOwn(input, responseName) ?? null;
          if (inputValue === null && responseName !== '__typename') inputValue = input.__typename ?? null;
          const type = typeof inputValue === 'string' ? (context.schema.getType(inputValue) ?? parentType) : parentType;
          if (!isObjectType(type)) return false;
          output[responseName] = type.name;
        }
        continue;
      }
      const field = isUnionType(selectionType) ? undefined : selectionType.getFields()[name];
      if (!field) throw new Error(`Unknown field ${selectionType.name}.${name}`);
      path.push(responseName);
      const updated = updateOutputValue(
        outputValue,
        field.type,
        getOwn(input, responseName) ?? null,
        selection.selectionSet,
        path,
        parentType,
        context,
      );
      output[responseName] = updated;
      path.pop();
      if (context.isInvalid) return false;
    } else {
      if (context.skipDeferred && isDeferred(selection.directives, context.variables)) continue;
      const body = fragmentBody(selection, context.fragments, context.schema);
      // Planned documents are validated: only a broken plan gets here.
      if (!body) throw new Error(`The fragment at ${path.join('.') || 'the root'} names no composite type`);
      const { condition: conditionType, selectionSet: inner } = body;
      const typename: unknown = input.__typename;
      if (typename && typeof typename !== 'string') {
        throw new Error(`Got unexpected value for __typename: ${JSON.stringify(typename)}`);
      }
      let applies = true;
      if (conditionType) {
        const runtimeType = typeof typename === 'string' && typename ? context.schema.getType(typename) : parentType;
        applies = runtimeType !== undefined && runtimeType !== null && isSubtype(conditionType, runtimeType);
      }
      if (applies) {
        const innerParent = conditionType ?? parentType;
        const innerSelection = conditionType ?? selectionType;
        if (!applySelections(input, inner.selections, output, path, innerParent, innerSelection, context)) return false;
      }
    }
  }
  return true;
}

function describeLastElement(path: Path, currentType: GraphQLOutputType, parentType: GraphQLCompositeType): string {
  const element = path[path.length - 1];
  return typeof element === 'string'
    ? `field ${parentType.name}.${element}`
    : `array element of type ${String(currentType)} at index ${String(element)}`;
}

/** Stock's `updateOutputValue`; returns the value and leaves isInvalid / hasErrors in the context. */
function updateOutputValue(
  outputValue: unknown,
  type: GraphQLOutputType,
  inputValue: unknown,
  selectionSet: SelectionSetNode | undefined,
  path: Path,
  parentType: GraphQLCompositeType,
  context: ShapingContext,
): unknown {
  context.isInvalid = false;
  context.hasErrors = false;
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return outputValue;
  if (isNonNullType(type)) {
    const updated = updateOutputValue(outputValue, type.ofType, inputValue, selectionSet, path, parentType, context);
    if (updated === null) {
      if (!context.hasErrors) {
        context.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Cannot return null for non-nullable ${describeLastElement(path, type.ofType, parentType)}.`,
            { path: Array.from(path) },
          ),
        );
      }
      context.isInvalid = true;
      context.hasErrors = true;
      return null;
    }
    context.isInvalid = false;
    context.hasErrors = false;
    return updated;
  }
  if (inputValue === null) return null;
  if (isListType(type)) {
    if (!Array.isArray(inputValue)) {
      throw new Error(`Invalid non-list value returned by subgraph for list type ${String(type)}`);
    }
    const existing: unknown[] | undefined = Array.isArray(outputValue) ? (outputValue as unknown[]) : undefined;
    if (outputValue !== undefined && existing === undefined) {
      throw new Error(`Invalid non-list value for list type ${String(type)}`);
    }
    if (existing !== undefined && existing.length !== inputValue.length) throw new Error('List lengths differ');
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array<unknown>(inputValue.length);
    for (let index = 0; index < inputValue.length; index++) {
      path.push(index);
      updated[index] = updateOutputValue(
        existing?.[index],
        type.ofType,
        inputValue[index] as unknown,
        selectionSet,
        path,
        parentType,
        context,
      );
      path.pop();
      if (context.isInvalid) shouldNullify = true;
      if (context.hasErrors) hasErrors = true;
    }
    context.isInvalid = false;
    context.hasErrors = hasErrors;
    return shouldNullify ? null : updated;
  }
  if (isCompositeType(type)) {
    if (!selectionSet) throw new Error(`Invalid empty selection set for composite type ${type.name}`);
    if (typeof inputValue !== 'object') {
      throw new Error(`Invalid non-object value returned by subgraph for ${type.name}`);
    }
    const input = inputValue as ResponseObject;
    const inputTypename = input.__typename;
    if (inputTypename !== undefined && typeof inputTypename !== 'string') {
      throw new Error(`Invalid non-string value ${JSON.stringify(inputTypename)} for __typename at ${path.join('.')}`);
    }
    let objectType: GraphQLCompositeType = type;
    if (inputTypename) {
      const named = context.schema.getType(inputTypename);
      if (!isCompositeType(named)) {
        context.errors.push(
          ERRORS.INVALID_GRAPHQL.err(
            `Invalid __typename found for object at ${describeLastElement(path, type, parentType)}.`,
            { path: Array.from(path) },
          ),
        );
        context.hasErrors = true;
        return null;
      }
      objectType = named;
    }
    const outputObject = outputValue === undefined ? newResponseObject() : (outputValue as ResponseObject);
    const ok = applySelections(input, selectionSet.selections, outputObject, path, objectType, type, context);
    context.isInvalid = false;
    context.hasErrors = !ok;
    return ok ? outputObject : null;
  }
  // Leaf: the same validity rules as federation-internals' isValidLeafValue.
  if (isValidLeafValue(inputValue, type)) return inputValue;
  context.errors.push(
    ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLastElement(path, type, parentType)}.`, {
      path: Array.from(path),
    }),
  );
  context.hasErrors = true;
  return null;
}

function isValidLeafValue(value: unknown, type: GraphQLOutputType): boolean {
  // By name: the schema may come from another copy of graphql-js than ours.
  const name = isScalarType(type) || isEnumType(type) ? type.name : '';
  if (!builtInScalars.has(name) && !isEnumType(type)) return true;
  if (typeof value === 'boolean') return name === 'Boolean';
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (name === 'Int' || name === 'ID') return integerString.test(String(value));
    return name === 'Float';
  }
  if (typeof value === 'string') {
    if (isEnumType(type)) return type.getValue(value) !== undefined;
    return name !== 'Boolean' && name !== 'Int' && name !== 'Float';
  }
  return false;
}
