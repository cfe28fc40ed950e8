import {
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type InputObjectTypeDefinitionNode,
  type InputValueDefinitionNode,
  type TypeNode,
} from 'graphql';
import type { ColumnRule, FieldRule, ListRule, RecordFields } from './spec.js';

/**
 * A record spec against the SDL's input types: the same fields both ways, required where the spec
 * requires (an update's all optional), of the spec's types, enum values and defaults (conformance.ts).
 */

/** The named type under a type's `!` and `[...]`, and whether it is non-null and a list. */
function shapeOf(type: TypeNode): { name: string; nonNull: boolean; list: { nonNullItems: boolean } | null } {
  const nonNull = type.kind === Kind.NON_NULL_TYPE;
  const inner = type.kind === Kind.NON_NULL_TYPE ? type.type : type;
  if (inner.kind === Kind.LIST_TYPE) {
    const item = shapeOf(inner.type);
    return { name: item.name, nonNull, list: { nonNullItems: item.nonNull } };
  }
  return { name: inner.kind === Kind.NAMED_TYPE ? inner.name.value : '?', nonNull, list: null };
}

const SCALARS: Record<string, string> = { text: 'String', id: 'ID', integer: 'Int', boolean: 'Boolean' };

export interface Sdl {
  inputs: Map<string, readonly InputValueDefinitionNode[]>;
  enums: Map<string, string[]>;
}

export function readSdl(document: DocumentNode): Sdl {
  const sdl: Sdl = { inputs: new Map(), enums: new Map() };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) {
      const name = definition.name.value;
      sdl.inputs.set(name, [
        ...(sdl.inputs.get(name) ?? []),
        ...((definition as InputObjectTypeDefinitionNode).fields ?? []),
      ]);
    }
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION || definition.kind === Kind.ENUM_TYPE_EXTENSION) {
      const name = definition.name.value;
      sdl.enums.set(name, [
        ...(sdl.enums.get(name) ?? []),
        ...(definition.values ?? []).map((value) => value.name.value),
      ]);
    }
  }
  return sdl;
}

/** One field against the input field the SDL declares for it. */
function checkInputField(
  sdl: Sdl,
  problem: (message: string) => void,
  field: FieldRule,
  input: InputValueDefinitionNode,
  mode: 'create' | 'update',
): void {
  const shape = shapeOf(input.type);
  const declared = `${input.name.value}: ${shape.list ? `[${shape.name}]` : shape.name}${shape.nonNull ? '!' : ''}`;
  if (mode === 'update' && shape.nonNull) problem(`an update's field is optional, but the SDL has ${declared}`);
  if (mode === 'create' && field.required === true && !shape.nonNull) problem(`required, but the SDL has ${declared}`);
  if (mode === 'create' && field.required !== true && shape.nonNull) problem(`optional, but the SDL has ${declared}`);
  const sdlDefault = input.defaultValue ? valueFromASTUntyped(input.defaultValue) : undefined;
  const specDefault = 'default' in field ? field.default : undefined;
  const emptyList = field.kind === 'list' && Array.isArray(sdlDefault) && sdlDefault.length === 0;
  if (mode === 'create' && sdlDefault !== specDefault && !emptyList) {
    problem(
      `default ${JSON.stringify(specDefault) ?? 'none'}, but the SDL gives ${JSON.stringify(sdlDefault) ?? 'none'}`,
    );
  }
  if (field.kind === 'list') {
    if (!shape.list || !shape.list.nonNullItems) return problem(`a list of values, but the SDL has ${declared}`);
    return checkItem(sdl, problem, field.item, shape.name, declared);
  }
  if (shape.list) return problem(`one value, but the SDL has ${declared}`);
  if (field.kind === 'group') return checkInput(sdl, problem, field.fields, shape.name, 'create', false);
  checkItem(sdl, problem, field, shape.name, declared);
}

function checkItem(
  sdl: Sdl,
  problem: (message: string) => void,
  field: ColumnRule | ListRule['item'],
  typeName: string,
  declared: string,
): void {
  if (field.kind === 'record') return checkInput(sdl, problem, field.fields, typeName, 'create', false);
  if (field.kind === 'enum') {
    const values = sdl.enums.get(typeName);
    if (!values) return problem(`an enum, but the SDL has ${declared}`);
    const missing = field.values.filter((value) => !values.includes(value));
    if (missing.length > 0) problem(`values ${missing.join(', ')} that the enum ${typeName} does not have`);
    return;
  }
  if (SCALARS[field.kind] !== typeName) problem(`a ${SCALARS[field.kind]}, but the SDL has ${declared}`);
}

/** The spec's fields (an update's: those it may change) against an input type, both ways. */
export function checkInput(
  sdl: Sdl,
  problem: (message: string) => void,
  fields: RecordFields,
  typeName: string,
  mode: 'create' | 'update',
  withId: boolean,
): void {
  const inputs = sdl.inputs.get(typeName);
  if (!inputs) return problem(`the SDL has no input ${typeName}`);
  const byName = new Map(inputs.map((input) => [input.name.value, input]));
  if (withId) {
    const id = byName.get('id');
    const shape = id && shapeOf(id.type);
    if (!shape || shape.name !== 'ID' || !shape.nonNull || shape.list) problem(`${typeName} has no id: ID!`);
    byName.delete('id');
  }
  for (const [name, field] of Object.entries(fields)) {
    const input = byName.get(name);
    byName.delete(name);
    const inSpec = mode === 'create' || field.update !== false;
    const own = (message: string) => problem(`${name}: ${message}`);
    if (inSpec && !input) own(`not in ${typeName}`);
    else if (!inSpec && input) own(`not changed by an update (update: false), but ${typeName} has it`);
    else if (input) checkInputField(sdl, own, field, input, mode);
  }
  for (const name of byName.keys()) problem(`${typeName}.${name}: not a field of the spec`);
}
