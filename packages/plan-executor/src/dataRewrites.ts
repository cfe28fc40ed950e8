import type { FetchDataRewrite } from '@apollo/query-planner';
import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import type { ResponseObject } from './resultShaping.js';

/**
 * @apollo/gateway's data rewrites (its dataRewrites.ts), which the planner attaches to fetches
 * for @interfaceObject: `ValueSetter` sets a value (the interface's name as `__typename` in
 * representations sent to the subgraph that only knows the interface), `KeyRenamer` moves a
 * value to another key. Same semantics, paths like `["... on Asset", "__typename"]`.
 */

const fragmentPrefix = '... on ';

export function applyRewrites(
  schema: GraphQLSchema,
  rewrites: readonly FetchDataRewrite[] | undefined,
  value: unknown,
): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    const last = rewrite.path[rewrite.path.length - 1];
    if (last === undefined) continue;
    if (last.startsWith(fragmentPrefix))
      throw new Error(`Unexpected fragment as last element of ${rewrite.path.join(',')}`);
    applyAtPath(schema, rewrite.path, 0, rewrite.path.length - 1, value, (object) => {
      if (rewrite.kind === 'ValueSetter') {
        defineOwn(object, last);
        object[last] = rewrite.setValueTo;
      } else {
        const found = Object.prototype.hasOwnProperty.call(object, last) ? object[last] : undefined;
        if (found) {
          defineOwn(object, rewrite.renameKeyTo);
          object[rewrite.renameKeyTo] = found;
          object[last] = undefined;
        }
      }
    });
  }
}

/** Shadows an inherited property (stock objects may come from JSON.parse, with a prototype). */
function defineOwn(object: ResponseObject, key: string): void {
  if (!Object.prototype.hasOwnProperty.call(object, key) && key in object) {
    Object.defineProperty(object, key, { configurable: true, enumerable: true, value: undefined, writable: true });
  }
}

function applyAtPath(
  schema: GraphQLSchema,
  path: readonly string[],
  from: number,
  end: number,
  value: unknown,
  apply: (object: ResponseObject) => void,
): void {
  if (Array.isArray(value)) {
    for (const element of value as unknown[]) applyAtPath(schema, path, from, end, element, apply);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const object = value as ResponseObject;
  if (from === end) {
    apply(object);
    return;
  }
  const element = path[from] ?? '';
  if (element.startsWith(fragmentPrefix)) {
    if (isObjectOfType(schema, object, element.slice(fragmentPrefix.length), true)) {
      applyAtPath(schema, path, from + 1, end, object, apply);
    }
  } else {
    const child = Object.prototype.hasOwnProperty.call(object, element) ? object[element] : undefined;
    applyAtPath(schema, path, from + 1, end, child, apply);
  }
}

/** Whether the object (by its `__typename`) is of the type condition, as stock decides it. */
export function isObjectOfType(
  schema: GraphQLSchema,
  object: ResponseObject,
  typeCondition: string,
  defaultOnUnknownObjectType = false,
): boolean {
  const typename = object.__typename;
  if (!typename) return defaultOnUnknownObjectType;
  if (typeCondition === typename) return true;
  const type = typeof typename === 'string' ? schema.getType(typename) : undefined;
  if (!type) return false;
  const conditionType = schema.getType(typeCondition);
  if (!conditionType) return false;
  if (isAbstractType(conditionType)) {
    return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(conditionType, type);
  }
  return false;
}
