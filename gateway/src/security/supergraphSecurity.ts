import type { SupergraphManager, SupergraphSdlHook } from '@apollo/gateway';
import {
  Kind,
  parse,
  print,
  visit,
  type ConstArgumentNode,
  type ConstDirectiveNode,
  type DocumentNode,
  type ValueNode,
} from 'graphql';

/**
 * What a caller needs to see one type or field: every entry must hold. `authenticated` needs any
 * verified token; each `anyOfScopeSets` entry is `@requiresScopes`'s list of alternatives, each
 * alternative a set of scopes the caller must hold together (an OR of ANDs).
 */
export interface AccessRequirement {
  authenticated: boolean;
  anyOfScopeSets: readonly (readonly (readonly string[])[])[];
}

/** What `@cost` / `@listSize` say about one field, for the cost estimate (limits.ts). */
export interface FieldCost {
  weight?: number;
  assumedSize?: number;
  slicingArguments?: readonly string[];
  sizedFields?: readonly string[];
}

/**
 * The access rules of a supergraph, by type name and by `Type.field` coordinate, and the cost
 * hints its offices declared with `@cost` / `@listSize`, by coordinate.
 */
export interface SecurityPolicy {
  readonly types: ReadonlyMap<string, AccessRequirement>;
  readonly fields: ReadonlyMap<string, AccessRequirement>;
  readonly costs: ReadonlyMap<string, FieldCost>;
}

export const EMPTY_POLICY: SecurityPolicy = { types: new Map(), fields: new Map(), costs: new Map() };

/** The spec URLs of the federation security directives, as composition links them. */
const SECURITY_SPECS = { authenticated: 'authenticated', requiresScopes: 'requiresScopes' } as const;

interface SecurityNames {
  authenticated: string | undefined;
  requiresScopes: string | undefined;
  /** The `@link` applications to drop. */
  links: Set<ConstDirectiveNode>;
}

function stringArgument(args: readonly ConstArgumentNode[] | undefined, name: string): string | undefined {
  const value = args?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.STRING ? value.value : undefined;
}

/** Finds the `@link`s of the security specs and the names their directives go by in this supergraph. */
function securityNames(document: DocumentNode): SecurityNames {
  const names: SecurityNames = { authenticated: undefined, requiresScopes: undefined, links: new Set() };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const url = stringArgument(directive.arguments, 'url');
      const match = url && /\/\/specs\.apollo\.dev\/(authenticated|requiresScopes)\/v[\d.]+$/.exec(url);
      if (!match) continue;
      const spec = match[1] as keyof typeof SECURITY_SPECS;
      const renamed = stringArgument(directive.arguments, 'as');
      names[spec] = renamed ?? SECURITY_SPECS[spec];
      names.links.add(directive);
    }
  }
  return names;
}

function scopeSets(value: ValueNode | undefined): string[][] {
  if (value?.kind !== Kind.LIST) return [];
  return value.values.map((alternative) =>
    alternative.kind === Kind.LIST
      ? alternative.values.flatMap((scope) => (scope.kind === Kind.STRING ? [scope.value] : []))
      : [],
  );
}

function requirementOf(
  directives: readonly ConstDirectiveNode[] | undefined,
  names: SecurityNames,
): AccessRequirement | undefined {
  let authenticated = false;
  const anyOfScopeSets: string[][][] = [];
  for (const directive of directives ?? []) {
    if (directive.name.value === names.authenticated) authenticated = true;
    if (directive.name.value === names.requiresScopes) {
      anyOfScopeSets.push(scopeSets(directive.arguments?.find((argument) => argument.name.value === 'scopes')?.value));
    }
  }
  return authenticated || anyOfScopeSets.length > 0 ? { authenticated, anyOfScopeSets } : undefined;
}

/** Combines two requirements on the same element (both must hold). */
export function combineRequirements(
  a: AccessRequirement | undefined,
  b: AccessRequirement | undefined,
): AccessRequirement | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    authenticated: a.authenticated || b.authenticated,
    anyOfScopeSets: [...a.anyOfScopeSets, ...b.anyOfScopeSets],
  };
}

function intArgument(directive: ConstDirectiveNode, name: string): number | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.INT ? Number(value.value) : undefined;
}

function stringListArgument(directive: ConstDirectiveNode, name: string): string[] | undefined {
  const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
  return value?.kind === Kind.LIST
    ? value.values.flatMap((item) => (item.kind === Kind.STRING ? [item.value] : []))
    : undefined;
}

/**
 * Reads `@cost(weight:)` and `@listSize(...)` off the supergraph's fields (the cost spec links
 * `@cost` under its own name, and `@listSize` imported or as `@cost__listSize`). Apollo's gateway
 * accepts these links, so they stay in the supergraph it loads.
 */
function costHints(document: DocumentNode): Map<string, FieldCost> {
  const costs = new Map<string, FieldCost>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.INTERFACE_TYPE_DEFINITION) continue;
    for (const field of definition.fields ?? []) {
      const hint: FieldCost = {};
      for (const directive of field.directives ?? []) {
        const name = directive.name.value;
        if (name === 'cost') {
          const weight = intArgument(directive, 'weight');
          if (weight !== undefined) hint.weight = weight;
        }
        if (name === 'listSize' || name === 'cost__listSize') {
          const assumedSize = intArgument(directive, 'assumedSize');
          const slicingArguments = stringListArgument(directive, 'slicingArguments');
          const sizedFields = stringListArgument(directive, 'sizedFields');
          if (assumedSize !== undefined) hint.assumedSize = assumedSize;
          if (slicingArguments) hint.slicingArguments = slicingArguments;
          if (sizedFields) hint.sizedFields = sizedFields;
        }
      }
      if (Object.keys(hint).length > 0) costs.set(`${definition.name.value}.${field.name.value}`, hint);
    }
  }
  return costs;
}

export interface SecuredSupergraph {
  /** The rules, read from the supergraph's `@authenticated` / `@requiresScopes`. */
  policy: SecurityPolicy;
  /** The same supergraph without the security `@link`s, definitions and applications. */
  supergraphSdl: string;
}

/**
 * Reads the access rules out of a composed supergraph and returns them with a supergraph that
 * `@apollo/gateway` will load. The gateway refuses any `@link(for: SECURITY)` it does not
 * implement; the gateway enforces these rules itself (see `authorization.ts`), so removing them
 * from the copy it plans with loses nothing. The committed supergraph keeps them, so Router or Hive
 * Gateway would enforce the same rules natively.
 */
export function secureSupergraph(supergraphSdl: string): SecuredSupergraph {
  const document = parse(supergraphSdl);
  const names = securityNames(document);
  const costs = costHints(document);
  if (names.links.size === 0) return { policy: { ...EMPTY_POLICY, costs }, supergraphSdl };

  const types = new Map<string, AccessRequirement>();
  const fields = new Map<string, AccessRequirement>();
  for (const definition of document.definitions) {
    if (
      definition.kind !== Kind.OBJECT_TYPE_DEFINITION &&
      definition.kind !== Kind.OBJECT_TYPE_EXTENSION &&
      definition.kind !== Kind.INTERFACE_TYPE_DEFINITION &&
      definition.kind !== Kind.INTERFACE_TYPE_EXTENSION &&
      definition.kind !== Kind.SCALAR_TYPE_DEFINITION &&
      definition.kind !== Kind.ENUM_TYPE_DEFINITION
    )
      continue;
    const typeName = definition.name.value;
    const typeRequirement = combineRequirements(types.get(typeName), requirementOf(definition.directives, names));
    if (typeRequirement) types.set(typeName, typeRequirement);
    if (!('fields' in definition)) continue;
    for (const field of definition.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const requirement = combineRequirements(fields.get(coordinate), requirementOf(field.directives, names));
      if (requirement) fields.set(coordinate, requirement);
    }
  }

  const securityDirectives = new Set([names.authenticated, names.requiresScopes].filter((name) => name !== undefined));
  const securityScalars = new Set([...securityDirectives].map((name) => `${name}__Scope`));
  const stripped = visit(document, {
    Directive: (node) =>
      securityDirectives.has(node.name.value) || names.links.has(node as ConstDirectiveNode) ? null : undefined,
    DirectiveDefinition: (node) => (securityDirectives.has(node.name.value) ? null : undefined),
    ScalarTypeDefinition: (node) => (securityScalars.has(node.name.value) ? null : undefined),
  });
  return { policy: { types, fields, costs }, supergraphSdl: print(stripped) };
}

type SupergraphSource = SupergraphManager | SupergraphSdlHook;

/**
 * Holds the access rules of the supergraph the gateway currently serves. Its `transform` is handed
 * to whatever loads the supergraph (file, introspection, a reload), so the rules and the supergraph
 * the gateway plans with always change together.
 */
export class SupergraphSecurity {
  #policy: SecurityPolicy = EMPTY_POLICY;

  get policy(): SecurityPolicy {
    return this.#policy;
  }

  readonly transform = (supergraphSdl: string): string => {
    const secured = secureSupergraph(supergraphSdl);
    this.#policy = secured.policy;
    return secured.supergraphSdl;
  };

  /** Wraps a supergraph source (e.g. introspect-and-compose) so each supergraph it yields goes through `transform`. */
  wrap(source: SupergraphSource): SupergraphManager {
    const initialize: SupergraphSdlHook = typeof source === 'function' ? source : source.initialize.bind(source);
    return {
      initialize: async (options) => {
        const result = await initialize({
          ...options,
          update: (supergraphSdl) => options.update(this.transform(supergraphSdl)),
        });
        return { ...result, supergraphSdl: this.transform(result.supergraphSdl) };
      },
    };
  }
}
