import type { VerifiedClaims } from '@cip/core';
import {
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type ConstDirectiveNode,
  type ConstValueNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';

/**
 * An office's own field rules, read from its SDL's `@authenticated` and `@requiresScopes` (the
 * rules the gateway enforces from the supergraph): enforced by the office itself on every field
 * (fieldEnforcement.ts), and applied to what it shows outside a field's own resolver, the values
 * its audit log holds. Read from the subgraph schema (a resolver's `info.schema`, which keeps the
 * SDL's directives on each field), so the SDL stays the one place a rule is written.
 */

/** What a caller needs to see one field: every entry must hold. */
export interface AccessRule {
  authenticated: boolean;
  /** One entry per `@requiresScopes`: its alternatives, each a set of scopes held together (an OR of ANDs). */
  anyOfScopeSets: readonly (readonly (readonly string[])[])[];
}

/**
 * Whether the caller the gateway verified may see what the rule guards (no rule: anyone; an
 * `unrestricted` caller, the open gateway's, everything: the server drops that claim in production).
 */
export function mayRead(rule: AccessRule | undefined, caller: VerifiedClaims): boolean {
  if (!rule || caller.unrestricted === true) return true;
  if (rule.authenticated && !caller.authenticated) return false;
  return rule.anyOfScopeSets.every((alternatives) =>
    alternatives.some((scopes) => scopes.every((scope) => caller.scopes.includes(scope))),
  );
}

const FEDERATION_SPEC = /\/\/specs\.apollo\.dev\/federation\/v2(\.\d+)?$/;

/** The names the security directives go by: imported (`@requiresScopes`, maybe renamed) or prefixed (`@federation__requiresScopes`). */
function securityDirectiveNames(schema: GraphQLSchema): { authenticated: string; requiresScopes: string } {
  const names = { authenticated: 'federation__authenticated', requiresScopes: 'federation__requiresScopes' };
  const links = [schema.astNode, ...schema.extensionASTNodes].flatMap((node) => node?.directives ?? []);
  for (const link of links) {
    if (link.name.value !== 'link') continue;
    const argument = (name: string) => link.arguments?.find((candidate) => candidate.name.value === name)?.value;
    const url = argument('url');
    if (url?.kind !== Kind.STRING || !FEDERATION_SPEC.test(url.value)) continue;
    const prefix = argument('as');
    if (prefix?.kind === Kind.STRING) {
      names.authenticated = `${prefix.value}__authenticated`;
      names.requiresScopes = `${prefix.value}__requiresScopes`;
    }
    const imports = argument('import');
    for (const item of imports?.kind === Kind.LIST ? imports.values : []) {
      const [imported, as] = importedName(item);
      if (imported === '@authenticated') names.authenticated = as.slice(1);
      if (imported === '@requiresScopes') names.requiresScopes = as.slice(1);
    }
  }
  return names;
}

/** An `import:` entry: `"@name"`, or `{ name: "@name", as: "@other" }`. */
function importedName(item: ConstValueNode): [string, string] {
  if (item.kind === Kind.STRING) return [item.value, item.value];
  if (item.kind !== Kind.OBJECT) return ['', ''];
  const field = (name: string) => {
    const value = item.fields.find((candidate) => candidate.name.value === name)?.value;
    return value?.kind === Kind.STRING ? value.value : undefined;
  };
  const name = field('name') ?? '';
  return [name, field('as') ?? name];
}

function ruleOf(
  directives: readonly ConstDirectiveNode[],
  names: ReturnType<typeof securityDirectiveNames>,
): AccessRule | undefined {
  let authenticated = false;
  const anyOfScopeSets: string[][][] = [];
  for (const directive of directives) {
    if (directive.name.value === names.authenticated) authenticated = true;
    if (directive.name.value !== names.requiresScopes) continue;
    const scopes = directive.arguments?.find((argument) => argument.name.value === 'scopes')?.value;
    anyOfScopeSets.push(
      scopes?.kind === Kind.LIST
        ? scopes.values.map((alternative) =>
            alternative.kind === Kind.LIST
              ? alternative.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : []))
              : [],
          )
        : [],
    );
  }
  return authenticated || anyOfScopeSets.length > 0 ? { authenticated, anyOfScopeSets } : undefined;
}

function directivesOf(element: GraphQLNamedType | GraphQLField<unknown, unknown>): readonly ConstDirectiveNode[] {
  const extensions = 'extensionASTNodes' in element ? element.extensionASTNodes : [];
  return [element.astNode, ...extensions].flatMap((node) => node?.directives ?? []);
}

/** A field of a type, its rule (its own and the type it returns), and the named type it returns. */
export interface RuledField {
  name: string;
  rule: AccessRule | undefined;
  type: GraphQLNamedType;
}

const fieldsBySchema = new WeakMap<GraphQLSchema, Map<string, ReadonlyMap<string, RuledField>>>();

/** Every field of an object or interface type with its rule, by name (empty for other types). */
export function ruledFields(schema: GraphQLSchema, typeName: string): ReadonlyMap<string, RuledField> {
  const cache = fieldsBySchema.get(schema) ?? new Map<string, ReadonlyMap<string, RuledField>>();
  fieldsBySchema.set(schema, cache);
  const cached = cache.get(typeName);
  if (cached) return cached;
  const names = securityDirectiveNames(schema);
  const type = schema.getType(typeName);
  const fields = new Map<string, RuledField>();
  if (isObjectType(type) || isInterfaceType(type)) {
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type);
      const rule = ruleOf([...directivesOf(field), ...directivesOf(returned)], names);
      fields.set(field.name, { name: field.name, rule, type: returned });
    }
  }
  cache.set(typeName, fields);
  return fields;
}

/** The fields of a type that not every caller may see. */
export function restrictedFields(schema: GraphQLSchema, typeName: string): RuledField[] {
  return [...ruledFields(schema, typeName).values()].filter((field) => field.rule !== undefined);
}

/** Both rules at once (every entry of each must hold). */
function bothRules(first: AccessRule | undefined, second: AccessRule | undefined): AccessRule | undefined {
  if (!first || !second) return first ?? second;
  return {
    authenticated: first.authenticated || second.authenticated,
    anyOfScopeSets: [...first.anyOfScopeSets, ...second.anyOfScopeSets],
  };
}

/**
 * The rule an office enforces on each field of its object types that has one, by type then field:
 * the field's own and its return type's (`ruledFields`), and its object type's own (federation
 * allows no rule on an interface). Execution always resolves a field on an object type, so a rule
 * holds whatever reaches the object: a root field, an entity reference (`_entities`), an interface
 * or a union.
 */
export function enforcedRules(schema: GraphQLSchema): Map<string, Map<string, AccessRule>> {
  const names = securityDirectiveNames(schema);
  const rules = new Map<string, Map<string, AccessRule>>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRule = ruleOf(directivesOf(type), names);
    const fields = new Map<string, AccessRule>();
    for (const field of ruledFields(schema, type.name).values()) {
      const rule = bothRules(field.rule, typeRule);
      if (rule) fields.set(field.name, rule);
    }
    if (fields.size > 0) rules.set(type.name, fields);
  }
  return rules;
}
