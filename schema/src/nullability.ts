import {
  Kind,
  parse,
  Source,
  type DirectiveNode,
  type FieldDefinitionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
  type TypeNode,
} from 'graphql';
import type { CompositionProblem, SubgraphInput } from './compose.js';

/**
 * The nullability contract of the graph (docs/nullability.md): wherever a
 * value is resolved by another office, the first position that belongs to that office is nullable,
 * so that office's absence nulls only its own part. GraphQL nulls a missing non-null value's parent,
 * and the parent's parent, up to the nearest nullable position: a non-null position at an office's
 * border would let one office's outage erase what the healthy offices answered.
 *
 * Two positions belong to another office:
 * - a reference: a field of office S whose value is an entity another office owns (`Agreement.parties`
 *   in agreements). The entity itself, the innermost position, is nullable: `[Partner]!`; the list
 *   stays S's.
 * - a contribution: a field office S adds to an entity another office owns (`Partner.agreements` in
 *   agreements). The field itself, the outermost position, is nullable; what is inside stays S's.
 *
 * An entity's owner is the office that offers it as a way into the graph (a `Query` field returning
 * it, directly or in a list): `partner(id:)` makes partners the owner of `Partner`. Its own fields
 * stay as strict as they are.
 */

export const NULLABILITY_CONTRACT = 'NULLABILITY_CONTRACT';

type ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode;

interface ParsedSubgraph {
  input: SubgraphInput;
  objects: ObjectNode[];
}

const namedType = (type: TypeNode): string => (type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type));

/** The type with its innermost (named) position made nullable: `[Partner!]!` -> `[Partner]!`. */
function withNullableInner(type: TypeNode): string {
  if (type.kind === Kind.NAMED_TYPE) return type.name.value;
  if (type.kind === Kind.LIST_TYPE) return `[${withNullableInner(type.type)}]`;
  return type.type.kind === Kind.NAMED_TYPE ? type.type.name.value : `${withNullableInner(type.type)}!`;
}

function innerIsNonNull(type: TypeNode): boolean {
  if (type.kind === Kind.NON_NULL_TYPE) return type.type.kind === Kind.NAMED_TYPE || innerIsNonNull(type.type);
  return type.kind === Kind.LIST_TYPE && innerIsNonNull(type.type);
}

function printType(type: TypeNode): string {
  if (type.kind === Kind.NAMED_TYPE) return type.name.value;
  if (type.kind === Kind.LIST_TYPE) return `[${printType(type.type)}]`;
  return `${printType(type.type)}!`;
}

const keyDirectives = (node: ObjectNode): DirectiveNode[] =>
  (node.directives ?? []).filter((directive) => directive.name.value === 'key');

/** The top-level fields of an entity's keys (`@key(fields: "id")` -> `id`). */
function keyFields(node: ObjectNode): Set<string> {
  const fields = new Set<string>();
  for (const directive of keyDirectives(node)) {
    const argument = directive.arguments?.find((arg) => arg.name.value === 'fields');
    if (argument?.value.kind !== Kind.STRING) continue;
    let depth = 0;
    for (const token of argument.value.value.split(/([{}\s])/)) {
      if (token === '{') depth++;
      else if (token === '}') depth--;
      else if (depth === 0 && token.trim()) fields.add(token.trim());
    }
  }
  return fields;
}

const isExternal = (field: FieldDefinitionNode) =>
  (field.directives ?? []).some((directive) => directive.name.value === 'external');

function at(input: SubgraphInput, field: FieldDefinitionNode): string[] {
  if (!field.loc) return [];
  const { line, column } = field.loc.startToken;
  return [`${input.schemaPath}:${line}:${column}`];
}

/**
 * Every place a subgraph's SDL breaks the contract, as composition problems naming the coordinate,
 * the office, and the type the field should have. Empty when the graph keeps it; SDL that does not
 * parse is left to composition, which reports it.
 */
export function checkNullabilityContract(subgraphs: readonly SubgraphInput[]): CompositionProblem[] {
  const parsed: ParsedSubgraph[] = [];
  for (const input of subgraphs) {
    try {
      const document = parse(new Source(input.sdl, input.schemaPath));
      const objects = document.definitions.filter(
        (definition): definition is ObjectNode =>
          definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION,
      );
      parsed.push({ input, objects });
    } catch {
      continue;
    }
  }
  const entities = new Set(parsed.flatMap(({ objects }) => objects.filter((o) => keyDirectives(o).length > 0)));
  const entityNames = new Set([...entities].map((node) => node.name.value));
  const owners = new Map<string, Set<string>>();
  for (const { input, objects } of parsed) {
    for (const query of objects.filter((object) => object.name.value === 'Query')) {
      for (const field of query.fields ?? []) {
        const type = namedType(field.type);
        if (entityNames.has(type)) (owners.get(type) ?? owners.set(type, new Set()).get(type)!).add(input.name);
      }
    }
  }
  const ownedElsewhere = (type: string, office: string) => {
    const owning = owners.get(type);
    return entityNames.has(type) && owning !== undefined && !owning.has(office);
  };
  const problems: CompositionProblem[] = [];
  for (const { input, objects } of parsed) {
    for (const object of objects) {
      const parent = object.name.value;
      const keys = keyFields(object);
      for (const field of object.fields ?? []) {
        if (isExternal(field)) continue;
        const coordinate = `${parent}.${field.name.value}`;
        const type = namedType(field.type);
        if (
          ownedElsewhere(parent, input.name) &&
          !keys.has(field.name.value) &&
          field.type.kind === Kind.NON_NULL_TYPE
        ) {
          problems.push({
            code: NULLABILITY_CONTRACT,
            message:
              `${coordinate} in subgraph "${input.name}" is added to ${parent}, which ${[...owners.get(parent)!].join(', ')} owns: ` +
              `it must be nullable (${printType(field.type.type)}, not ${printType(field.type)}), so that the ${input.name} office being down nulls only this field, not the ${parent}.`,
            locations: at(input, field),
          });
        }
        if (ownedElsewhere(type, input.name) && innerIsNonNull(field.type)) {
          problems.push({
            code: NULLABILITY_CONTRACT,
            message:
              `${coordinate} in subgraph "${input.name}" refers to ${type}, which ${[...owners.get(type)!].join(', ')} owns: ` +
              `each ${type} must be nullable (${withNullableInner(field.type)}, not ${printType(field.type)}), so that its office being down nulls only that ${type}, not the ${parent}.`,
            locations: at(input, field),
          });
        }
      }
    }
  }
  return problems;
}

/** Whether `after` is `before` with some of its `!` removed, and nothing else changed. */
function onlyLosesNonNull(before: string, after: string): boolean {
  let kept = 0;
  for (const char of before) {
    if (char === after[kept]) kept++;
    else if (char !== '!') return false;
  }
  return kept === after.length;
}

/**
 * How `npm run schema:check` reports an output field whose type only lost `!`: as what it is, a
 * change of output nullability. The operations using it still validate (so it is dangerous, not
 * breaking), but a typed client's generated types change and it must handle null there.
 */
export function withNullabilityNote<Level extends string>(
  change: { type: string; message: string; meta?: Record<string, unknown> },
  level: Level,
): { level: Level | 'dangerous'; message: string } {
  const { oldFieldType, newFieldType } = change.meta ?? {};
  const loosened =
    change.type === 'FIELD_TYPE_CHANGED' &&
    typeof oldFieldType === 'string' &&
    typeof newFieldType === 'string' &&
    oldFieldType !== newFieldType &&
    onlyLosesNonNull(oldFieldType, newFieldType);
  return loosened
    ? { level: 'dangerous', message: `${change.message}: output nullability change: typed clients must handle null` }
    : { level, message: change.message };
}
