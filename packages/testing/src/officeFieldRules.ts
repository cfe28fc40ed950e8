import { buildSubgraphSchema } from '@apollo/subgraph';
import { ANONYMOUS_CLAIMS, processSigningSecret, type VerifiedClaims } from '@cip/core';
import { loadSubgraphModules } from '@cip/stack';
import { restrictedFields, type AccessRule } from '@cip/subgraph-kit';
import {
  getNamedType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { gatewaySignedHeaders, post } from './tokens.js';

/**
 * The direct-to-office matrix's tooling: every field an office's own SDL guards with
 * `@authenticated` / `@requiresScopes`, the operations that reach it straight at that office (from
 * the root and through `_entities`), and the callers that lack or hold its rule. Found from the SDL,
 * so a field guarded tomorrow is in the matrix without a line of test.
 */

/** One guarded field of one office. */
export interface GuardedField {
  office: string;
  type: string;
  field: string;
  rule: AccessRule;
  schema: GraphQLSchema;
}

/** Every office of the composition input with its subgraph schema (its SDL's directives kept). */
export async function officeSchemas(): Promise<{ office: string; schema: GraphQLSchema }[]> {
  return (await loadSubgraphModules()).map((module) => ({
    office: module.name,
    schema: buildSubgraphSchema({ typeDefs: module.typeDefs }),
  }));
}

/** Every field each office guards, its object types' fields in the SDL's order (root types included). */
export function guardedFields(offices: readonly { office: string; schema: GraphQLSchema }[]): GuardedField[] {
  return offices.flatMap(({ office, schema }) =>
    Object.values(schema.getTypeMap())
      .filter((type) => isObjectType(type) && !type.name.startsWith('__'))
      .flatMap((type) =>
        restrictedFields(schema, type.name).map((field) => ({
          office,
          type: type.name,
          field: field.name,
          rule: field.rule!,
          schema,
        })),
      ),
  );
}

/** An operation that asks an office for one guarded field, and the response keys that lead to it. */
export interface Route {
  /** How the record holding the field is reached, for the test's title. */
  via: string;
  query: string;
  variables: Record<string, unknown>;
  /** Response keys from the root to the field, lists left out. */
  path: string[];
  mutation: boolean;
}

/** A value an argument accepts that no resolver can act on (empty text, negative numbers): nothing is written. */
function unusableValue(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return unusableValue(type.ofType);
  if (isListType(type)) return [];
  if (isEnumType(type)) return type.getValues()[0]!.value;
  if (isInputObjectType(type))
    return Object.fromEntries(
      Object.values(type.getFields())
        .filter((field) => isNonNullType(field.type) && field.defaultValue === undefined)
        .map((field) => [field.name, unusableValue(field.type)]),
    );
  return { Int: -1, Float: -1, Boolean: true }[type.name] ?? '';
}

function requiredArguments(field: GraphQLField<unknown, unknown>) {
  return field.args.filter((argument) => isNonNullType(argument.type) && argument.defaultValue === undefined);
}

/** `name(arguments) { __typename }` for a composite field, `name(arguments)` for a leaf. */
function selectionOf(schema: GraphQLSchema, typeName: string, fieldName: string, passed = ''): string {
  const type = schema.getType(typeName);
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
  const asked = passed ? `${fieldName}(${passed})` : fieldName;
  return field && isCompositeType(getNamedType(field.type)) ? `${asked} { __typename }` : asked;
}

/** The shortest chain of argument-free fields from one object type to another, or undefined. */
function fieldsBetween(schema: GraphQLSchema, from: string, to: string, maxDepth = 4): string[] | undefined {
  const queue: [string, string[]][] = [[from, []]];
  const seen = new Set([from]);
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [typeName, path] = next;
    if (typeName === to) return path;
    const type = schema.getType(typeName);
    if (!isObjectType(type) || path.length === maxDepth) continue;
    for (const field of Object.values(type.getFields())) {
      const named = getNamedType(field.type);
      if (field.name.startsWith('_') || requiredArguments(field).length > 0 || !isObjectType(named)) continue;
      if (seen.has(named.name)) continue;
      seen.add(named.name);
      queue.push([named.name, [...path, field.name]]);
    }
  }
  return undefined;
}

const nest = (path: readonly string[], leaf: string) =>
  path.reduceRight((inner, field) => `${field} { ${inner} }`, leaf);

/**
 * The operations that reach a guarded field in its office. A field of `Query` or `Mutation` is
 * asked for directly, its required arguments given values no resolver can act on. A field of any
 * other type is reached from a record named in `seeds` (entity type → id of a seeded record that
 * has a value there) through the office's `<entity>(id:)` root field and through `_entities`,
 * along argument-free fields. Empty when the office has no way to the type from a seeded record.
 */
export function routesTo(guarded: GuardedField, seeds: Readonly<Record<string, string>>): Route[] {
  const { schema, type, field } = guarded;
  const rootType = schema.getType(type);
  if (isObjectType(rootType) && (type === schema.getQueryType()?.name || type === schema.getMutationType()?.name)) {
    const args = requiredArguments(rootType.getFields()[field]!);
    const mutation = type === schema.getMutationType()?.name;
    const declared = args.map((argument) => `$${argument.name}: ${String(argument.type)}`).join(', ');
    const passed = args.map((argument) => `${argument.name}: $${argument.name}`).join(', ');
    const operation = `${mutation ? 'mutation' : 'query'}${declared ? ` (${declared})` : ''}`;
    return [
      {
        via: 'the root',
        query: `${operation} { ${selectionOf(schema, type, field, passed)} }`,
        variables: Object.fromEntries(args.map((argument) => [argument.name, unusableValue(argument.type)])),
        path: [field],
        mutation,
      },
    ];
  }
  const leaf = selectionOf(schema, type, field);
  const entities = schema.getType('_Entity');
  const resolvable = new Set(isUnionType(entities) ? entities.getTypes().map((entity) => entity.name) : []);
  const queryFields = Object.values(schema.getQueryType()?.getFields() ?? {});
  for (const [entity, id] of Object.entries(seeds)) {
    const lookup = queryFields.find(
      (candidate) =>
        getNamedType(candidate.type).name === entity &&
        requiredArguments(candidate)
          .map((argument) => argument.name)
          .join() === 'id',
    );
    const path = fieldsBetween(schema, entity, type);
    if (!lookup || !resolvable.has(entity) || !path) continue;
    return [
      {
        via: `${lookup.name}(id: "${id}")`,
        query: `{ ${lookup.name}(id: ${JSON.stringify(id)}) { ${nest(path, leaf)} } }`,
        variables: {},
        path: [lookup.name, ...path, field],
        mutation: false,
      },
      {
        via: `_entities (${entity} ${id})`,
        query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${entity} { ${nest(path, leaf)} } } }`,
        variables: { representations: [{ __typename: entity, id }] },
        path: ['_entities', ...path, field],
        mutation: false,
      },
    ];
  }
  return [];
}

/** Every scope named by any of these rules. */
export function scopesNamed(rules: readonly AccessRule[]): string[] {
  return [...new Set(rules.flatMap((rule) => rule.anyOfScopeSets.flat(2)))].sort();
}

/**
 * Who may not see a field under `rule`, holding every other scope of the graph (`allScopes`) so
 * that only the rule's own scopes are missing; anonymous for a field that only needs a sign-in.
 */
export function callerWithout(rule: AccessRule, allScopes: readonly string[]): VerifiedClaims {
  if (rule.anyOfScopeSets.length === 0) return ANONYMOUS_CLAIMS;
  const own = new Set(scopesNamed([rule]));
  return { authenticated: true, subject: 'matrix-denied', scopes: allScopes.filter((scope) => !own.has(scope)) };
}

/** One caller per way of meeting `rule` (each alternative of each entry), holding nothing else of the rule. */
export function callersWith(rule: AccessRule, allScopes: readonly string[]): VerifiedClaims[] {
  const others = callerWithout(rule, allScopes).scopes;
  const choices = rule.anyOfScopeSets.reduce<string[][]>(
    (picked, alternatives) => picked.flatMap((held) => alternatives.map((scopes) => [...held, ...scopes])),
    [[]],
  );
  return choices.map((scopes) => ({
    authenticated: true,
    subject: 'matrix-allowed',
    scopes: [...new Set([...others, ...scopes])],
  }));
}

/** The values at `path` in a response's data, through lists and past nulls (a nulled parent holds none). */
export function valuesAt(data: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [data];
  if (Array.isArray(data)) return data.flatMap((item) => valuesAt(item, path));
  if (data === null || typeof data !== 'object') return [];
  const [head, ...rest] = path as [string, ...string[]];
  return valuesAt((data as Record<string, unknown>)[head], rest);
}

/**
 * POSTs an operation straight to an office of the embedded stack, around its gateway, with a valid
 * gateway credential for `claims` (signed with the stack's own secret, as its gateway signs): the
 * one place the direct-to-office tests sign.
 */
export function askOffice(
  office: string,
  url: string,
  body: { query: string; variables?: Record<string, unknown> },
  claims: VerifiedClaims,
): Promise<{ status: number; body: any }> {
  const text = JSON.stringify(body);
  return post(url, text, undefined, gatewaySignedHeaders(processSigningSecret(), office, url, claims, text));
}
