import { createHash } from 'node:crypto';
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import {
  Kind,
  getNamedType,
  isAbstractType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  print,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLFormattedError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { UNAUTHORIZED_FIELD_MESSAGE, refusal } from '@cip/core';
import { isDeferred } from '@cip/plan-executor';
import type { GatewayContext } from '../context.js';
import { ANONYMOUS, type Caller } from './jwt.js';
import { combineRequirements, type AccessRequirement, type SecurityPolicy } from './supergraphSecurity.js';

/** The response key the rewrite selects where every field of a selection set was removed. */
const PLACEHOLDER = 'authorizationPlaceholder__';

export function satisfies(requirement: AccessRequirement | undefined, caller: Caller): boolean {
  if (!requirement || caller.unrestricted) return true;
  if (requirement.authenticated && !caller.authenticated) return false;
  return requirement.anyOfScopeSets.every((alternatives) =>
    alternatives.some((scopes) => scopes.every((scope) => caller.scopes.has(scope))),
  );
}

/** The path of a response key: field response names from the root, lists skipped. */
export type ResponsePath = readonly string[];

export interface AuthorizedOperation {
  /** The rewritten document (only the operation, fragments inlined), or the original when nothing was removed. */
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** One per removed field or fragment: where the caller will see null and an error. */
  denied: ResponsePath[];
  /** Response keys to set to null in the data: the nearest nullable parents of removed fields. */
  nulled: ResponsePath[];
  /** Placeholders to delete from the data. */
  placeholders: ResponsePath[];
  /** A removed non-null field had no nullable parent: the whole `data` is null. */
  dataNulled: boolean;
  /**
   * The entries above (by identity) inside a deferred fragment (`@defer`): their nulls and errors
   * belong to the deferred part that shows them, not to the initial payload.
   */
  deferred: Set<ResponsePath>;
}

/** Requirements of a type, and, for an interface or union, of every type it can be. */
function typeRequirement(
  schema: GraphQLSchema,
  type: GraphQLNamedType,
  policy: SecurityPolicy,
): AccessRequirement | undefined {
  let requirement = policy.types.get(type.name);
  if (isAbstractType(type)) {
    for (const possible of schema.getPossibleTypes(type))
      requirement = combineRequirements(requirement, policy.types.get(possible.name));
  }
  return requirement;
}

/**
 * A field's requirements: its own, those of the type it returns, and, asked through an interface,
 * those of the same field on every implementation (so an interface cannot be used to get around
 * a rule on one of its types).
 */
function fieldRequirement(
  schema: GraphQLSchema,
  parent: GraphQLCompositeType,
  field: GraphQLField<unknown, unknown>,
  policy: SecurityPolicy,
): AccessRequirement | undefined {
  let requirement = combineRequirements(
    policy.fields.get(`${parent.name}.${field.name}`),
    typeRequirement(schema, getNamedType(field.type), policy),
  );
  if (isInterfaceType(parent)) {
    for (const implementation of schema.getPossibleTypes(parent))
      requirement = combineRequirements(requirement, policy.fields.get(`${implementation.name}.${field.name}`));
  }
  return requirement;
}

class NullParent extends Error {}

/**
 * Removes from an operation every field and fragment the caller may not see, before the gateway
 * plans it, so no subgraph is ever asked for them. Fragment spreads are inlined first (as inline
 * fragments on the same type), so a rule holds whatever path, alias or fragment reaches a field.
 * A removed non-null field takes its nearest nullable parent with it, as GraphQL null propagation
 * would.
 */
export function authorizeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  policy: SecurityPolicy,
  caller: Caller,
  variables: Record<string, unknown> = {},
): AuthorizedOperation {
  const result: AuthorizedOperation = {
    document,
    operation,
    denied: [],
    nulled: [],
    placeholders: [],
    dataNulled: false,
    deferred: new Set(),
  };
  const note = (list: ResponsePath[], path: ResponsePath, inDefer: boolean): void => {
    list.push(path);
    if (inDefer) result.deferred.add(path);
  };
  if (caller.unrestricted || (policy.fields.size === 0 && policy.types.size === 0)) return result;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const placeholder = (path: ResponsePath, inDefer: boolean): FieldNode => {
    note(result.placeholders, [...path, PLACEHOLDER], inDefer);
    return {
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: PLACEHOLDER },
      name: { kind: Kind.NAME, value: '__typename' },
    };
  };

  /** Rewrites a selection set; throws NullParent when a removed non-null field must null the parent. */
  const rewrite = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    path: ResponsePath,
    inDefer: boolean,
  ): SelectionSetNode => {
    const selections: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        selections.push(rewriteField(selection, parent, path, inDefer));
        continue;
      }
      const inline: InlineFragmentNode =
        selection.kind === Kind.INLINE_FRAGMENT
          ? selection
          : (() => {
              const fragment = fragments.get(selection.name.value)!;
              return {
                kind: Kind.INLINE_FRAGMENT,
                typeCondition: fragment.typeCondition,
                directives: [...(selection.directives ?? []), ...(fragment.directives ?? [])],
                selectionSet: fragment.selectionSet,
              };
            })();
      const condition = inline.typeCondition ? schema.getType(inline.typeCondition.name.value) : parent;
      if (!condition || !(isObjectType(condition) || isAbstractType(condition))) continue;
      const fragmentDeferred = inDefer || isDeferred(inline.directives, variables);
      if (!satisfies(typeRequirement(schema, condition, policy), caller)) {
        // Objects of a type the caller may not see are skipped, not nulled: the fields the
        // fragment would add are simply absent, and the error says why.
        note(result.denied, path, fragmentDeferred);
        continue;
      }
      selections.push({ ...inline, selectionSet: rewrite(inline.selectionSet, condition, path, fragmentDeferred) });
    }
    if (selections.length === 0) {
      selections.push(placeholder(path, inDefer));
    }
    return { ...selectionSet, selections };
  };

  /**
   * A removed field is replaced by `__typename` under the same response key, so the key keeps its
   * place in the response (and no selection set is left empty); `restoreShape` sets it to null.
   */
  const standIn = (field: FieldNode, fieldPath: ResponsePath, inDefer: boolean): FieldNode => {
    note(result.nulled, fieldPath, inDefer);
    return {
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: field.alias?.value ?? field.name.value },
      name: { kind: Kind.NAME, value: '__typename' },
      ...(field.directives ? { directives: field.directives } : {}),
    };
  };

  const rewriteField = (
    field: FieldNode,
    parent: GraphQLCompositeType,
    path: ResponsePath,
    inDefer: boolean,
  ): FieldNode => {
    const name = field.name.value;
    if (name.startsWith('__')) return field;
    const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!definition) return field;
    const fieldPath = [...path, field.alias?.value ?? name];
    if (!satisfies(fieldRequirement(schema, parent, definition, policy), caller)) {
      note(result.denied, fieldPath, inDefer);
      if (isNonNullType(definition.type)) throw new NullParent();
      return standIn(field, fieldPath, inDefer);
    }
    if (!field.selectionSet) return field;
    const type = getNamedType(definition.type) as GraphQLCompositeType;
    try {
      return { ...field, selectionSet: rewrite(field.selectionSet, type, fieldPath, inDefer) };
    } catch (error) {
      if (!(error instanceof NullParent) || isNonNullType(definition.type)) throw error;
      return standIn(field, fieldPath, inDefer);
    }
  };

  const root = schema.getRootType(operation.operation);
  if (!root) return result;
  let selectionSet: SelectionSetNode;
  try {
    selectionSet = rewrite(operation.selectionSet, root, [], false);
  } catch (error) {
    if (!(error instanceof NullParent)) throw error;
    result.dataNulled = true;
    selectionSet = { kind: Kind.SELECTION_SET, selections: [placeholder([], false)] };
  }
  if (result.denied.length === 0) return result;
  const rewritten: OperationDefinitionNode = { ...operation, selectionSet };
  return { ...result, operation: rewritten, document: { kind: Kind.DOCUMENT, definitions: [rewritten] } };
}

type Data = Record<string, unknown>;

/** Visits every object at a response path (lists are walked through). */
function atPath(data: unknown, path: ResponsePath, visit: (parent: Data, key: string) => void): void {
  if (data === null || data === undefined) return;
  if (Array.isArray(data)) {
    for (const item of data) atPath(item, path, visit);
    return;
  }
  if (typeof data !== 'object') return;
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (rest.length === 0) return visit(data as Data, head);
  atPath((data as Data)[head], rest, visit);
}

/**
 * Puts the removed fields back into the data as nulls and drops the placeholders: those outside
 * deferred fragments (the deferred ones are in their parts, `restoreDeferredPart`).
 */
export function restoreShape(data: Data | null | undefined, authorized: AuthorizedOperation): Data | null | undefined {
  if (authorized.dataNulled) return null;
  if (!data) return data;
  const now = (path: ResponsePath) => !authorized.deferred.has(path);
  for (const path of authorized.placeholders.filter(now)) atPath(data, path, (parent, key) => delete parent[key]);
  // Only where the key is: an object of another type than the fragment's has none to null.
  for (const path of authorized.nulled.filter(now))
    atPath(data, path, (parent, key) => key in parent && (parent[key] = null));
  return data;
}

/** Each request's authorized operation, for the transports that shape many results of one operation (subscriptions/). */
const authorizedByContext = new WeakMap<GatewayContext, AuthorizedOperation>();

/** What the authorization plugin made of the operation of the request whose context this is (once resolved). */
export function authorizationOf(context: GatewayContext): AuthorizedOperation | undefined {
  return authorizedByContext.get(context);
}

/** One error per field the caller may not see, at its path. */
export function deniedErrors(authorized: AuthorizedOperation): GraphQLFormattedError[] {
  return deniedPathErrors(authorized.denied);
}

/** The errors of denied paths, as the caller sees them. */
function deniedPathErrors(paths: readonly ResponsePath[]): GraphQLFormattedError[] {
  return paths.map((path) => ({
    message: UNAUTHORIZED_FIELD_MESSAGE,
    path: [...path],
    extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
  }));
}

/**
 * The same for one deferred part (its data at `path`, list indices included): the removed fields
 * it shows are nulled, its placeholders dropped, and the errors of the denied paths under it that
 * no earlier part reported (`reported`, updated) are returned.
 */
export function restoreDeferredPart(
  data: Data | null | undefined,
  path: readonly (string | number)[],
  authorized: AuthorizedOperation,
  reported: Set<ResponsePath>,
): GraphQLFormattedError[] {
  const at = path.filter((key): key is string => typeof key === 'string');
  const below = (entry: ResponsePath): ResponsePath | undefined =>
    authorized.deferred.has(entry) && entry.length >= at.length && at.every((key, index) => entry[index] === key)
      ? entry.slice(at.length)
      : undefined;
  if (data) {
    for (const entry of authorized.placeholders) {
      const relative = below(entry);
      if (relative) atPath(data, relative, (parent, key) => delete parent[key]);
    }
    for (const entry of authorized.nulled) {
      const relative = below(entry);
      if (relative) atPath(data, relative, (parent, key) => key in parent && (parent[key] = null));
    }
  }
  const denied = authorized.denied.filter((entry) => below(entry) !== undefined && !reported.has(entry));
  for (const entry of denied) reported.add(entry);
  return deniedPathErrors(denied);
}

/** One response holding everything (no part streamed): every entry applies to it. */
function everywhere(authorized: AuthorizedOperation): AuthorizedOperation {
  return authorized.deferred.size === 0 ? authorized : { ...authorized, deferred: new Set() };
}

type MutableRequestContext = {
  -readonly [K in 'document' | 'operation' | 'queryHash']: GraphQLRequestContextDidResolveOperation<GatewayContext>[K];
};

/**
 * Enforces the supergraph's `@authenticated` / `@requiresScopes` on every operation: unauthorized
 * fields are taken out of the operation before the gateway plans it, and come back as null with an
 * `UNAUTHORIZED_FIELD_OR_TYPE` error carrying their path, the rest of the response intact.
 */
export function authorizationPlugin(policy: () => SecurityPolicy): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let authorized: AuthorizedOperation | undefined;
      // Denied paths inside deferred fragments already reported in a part.
      const reported = new Set<ResponsePath>();
      return {
        async didResolveOperation(requestContext) {
          const caller = requestContext.contextValue.caller ?? ANONYMOUS;
          // No operation resolved (an unknown or missing operationName): nothing could be
          // authorized, so nothing runs; the gateway would otherwise fail it with a 500.
          if (!requestContext.operation)
            throw refusal(
              'BAD_REQUEST',
              requestContext.request.operationName
                ? `The document has no operation named "${requestContext.request.operationName}".`
                : 'The document holds several operations: name the one to run in `operationName`.',
            );
          authorized = authorizeOperation(
            requestContext.schema,
            requestContext.document,
            requestContext.operation,
            policy(),
            caller,
            requestContext.request.variables ?? {},
          );
          authorizedByContext.set(requestContext.contextValue, authorized);
          if (authorized.document === requestContext.document) return;
          // Apollo's request context is read-only in its types, but the gateway plans from these
          // fields; the plan cache is keyed by `queryHash`, so the rewritten document gets its own.
          const mutable = requestContext as unknown as MutableRequestContext;
          mutable.document = authorized.document;
          mutable.operation = authorized.operation;
          mutable.queryHash = createHash('sha256').update(print(authorized.document)).digest('hex');
        },
        async willSendResponse(requestContext) {
          const body = requestContext.response.body;
          if (!authorized || authorized.denied.length === 0) return;
          // Streamed (@defer, defer/incrementalDelivery.ts): the initial payload, without the deferred parts' entries.
          const incremental = body.kind === 'incremental';
          const result = incremental ? body.initialResult : body.singleResult;
          const data = incremental
            ? restoreShape(result.data, authorized)
            : restoreShape(result.data, everywhere(authorized));
          if (data !== undefined) result.data = data;
          const denied = incremental
            ? authorized.denied.filter((path) => !authorized?.deferred.has(path))
            : authorized.denied;
          if (denied.length > 0) result.errors = [...(result.errors ?? []), ...deniedPathErrors(denied)];
        },
        async willSendSubsequentPayload(_requestContext, payload) {
          if (!authorized || authorized.denied.length === 0 || !('incremental' in payload)) return;
          for (const part of payload.incremental ?? []) {
            if (!('data' in part) || !('path' in part) || !part.path) continue;
            const errors = restoreDeferredPart(part.data, part.path, authorized, reported);
            if (errors.length > 0)
              (part as { errors?: GraphQLFormattedError[] }).errors = [...(part.errors ?? []), ...errors];
          }
        },
      };
    },
  };
}
