import { IDEMPOTENCY_KEY_MAX } from '../writes/sql.js';
import { InputChecks } from '../writes/validation.js';
import {
  ID_MAX,
  isNullable,
  type ColumnRule,
  type CreateValues,
  type ListRule,
  type RecordFields,
  type RecordReader,
  type RecordSpec,
  type RecordValues,
  type UpdateValues,
} from './spec.js';

/**
 * The create and update input checks a spec derives: every problem of one input collected (each
 * with its path, `input.source.basis`, `input.partyIds.1`) before a `BAD_USER_INPUT` names the
 * first. The SDL's types are GraphQL's to enforce (conformance.ts holds the spec to them), so what
 * is checked here is what a type cannot say: lengths, ranges, patterns, enum values an office does
 * not accept, ids named twice, and each field's own `check`.
 */

type Input = Readonly<Record<string, unknown>>;

/** The issue of a null where an update may not put one. */
const NOT_NULL = 'cannot be null: leave the field out to keep its value';

/** Reads a dotted name (`signed.year`) from the input as given; null when absent. */
function readerOf(input: Input): RecordReader {
  return (name) =>
    name
      .split('.')
      .reduce<unknown>(
        (value, part) => (value !== null && typeof value === 'object' ? (value as Input)[part] : undefined),
        input,
      ) ?? null;
}

function oneOf(values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

function rangeOf(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `must be ${min} to ${max}`;
  return min !== undefined ? `must be at least ${min}` : `must be at most ${max}`;
}

function checkColumn(checks: InputChecks, path: string, field: ColumnRule, value: unknown): unknown {
  switch (field.kind) {
    case 'text': {
      const text = checks.text(path, value as string, { min: field.min ?? 1, max: field.max ?? 200 });
      if (field.pattern && !field.pattern.test(text)) {
        checks.add(path, `must be ${field.patternHint ?? `like ${field.pattern.source}`}`);
      }
      return text;
    }
    case 'id':
      return checks.slug(path, value as string, ID_MAX);
    case 'integer': {
      const number = value as number;
      if ((field.min !== undefined && number < field.min) || (field.max !== undefined && number > field.max)) {
        checks.add(path, rangeOf(field.min, field.max));
      }
      return number;
    }
    case 'boolean':
      return value;
    case 'enum':
      if (!field.values.includes(value as string)) checks.add(path, `must be ${oneOf(field.values)}`);
      return value;
  }
}

/** Each item at `<path>.<index>`; an id, a text or an item's key named twice is refused where it is named again. */
function checkList(checks: InputChecks, path: string, field: ListRule, items: readonly unknown[]): unknown[] {
  if (field.maxItems !== undefined && items.length > field.maxItems) {
    checks.add(path, `must have at most ${field.maxItems} items`);
  }
  const seen = new Set<unknown>();
  const once = (itemPath: string, value: unknown) => {
    if (seen.has(value)) checks.add(itemPath, `${String(value)} is named twice`);
    seen.add(value);
  };
  const { item } = field;
  return items.map((raw, index) => {
    const itemPath = `${path}.${index}`;
    if (item.kind === 'record') {
      const record = raw as Input;
      const values: Record<string, unknown> = {};
      for (const [name, itemField] of Object.entries(item.fields)) {
        values[name] = checkValue(checks, `${itemPath}.${name}`, itemField, record[name], readerOf(record));
        if (name === item.key) once(`${itemPath}.${name}`, values[name]);
      }
      return values;
    }
    const value =
      item.kind === 'id' ? checks.slug(itemPath, raw as string, ID_MAX) : checkColumn(checks, itemPath, item, raw);
    // An id is compared as given, a text as trimmed.
    once(itemPath, item.kind === 'id' ? raw : value);
    return value;
  });
}

/** One field's value, checked; an absent one is its default, null, or an empty list. */
function checkValue(
  checks: InputChecks,
  path: string,
  field: RecordFields[string],
  raw: unknown,
  read: RecordReader,
): unknown {
  let value: unknown;
  if (raw === undefined || raw === null) {
    if (field.required) checks.add(path, 'is required');
    value = field.kind === 'list' ? [] : 'default' in field && field.default !== undefined ? field.default : null;
  } else if (field.kind === 'group') {
    value = checkFields(checks, path, field.fields, raw as Input, read, 'create');
  } else if (field.kind === 'list') {
    value = checkList(checks, path, field, raw as readonly unknown[]);
  } else {
    value = checkColumn(checks, path, field, raw);
  }
  const problem = field.check?.(value, read);
  if (problem !== undefined) checks.add(path, problem);
  return value;
}

/**
 * The fields in the spec's order. A create checks every field (absent ones take their default);
 * an update only those given, a null keeping the field's issue (`NOT_NULL`) or clearing it.
 */
function checkFields(
  checks: InputChecks,
  path: string,
  fields: RecordFields,
  input: Input,
  read: RecordReader,
  mode: 'create' | 'update',
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    const raw = input[name];
    if (mode === 'update' && raw === undefined) continue;
    if (mode === 'update' && raw === null) {
      if (isNullable(field)) values[name] = null;
      continue;
    }
    values[name] = checkValue(checks, `${path}.${name}`, field, raw, read);
  }
  return values;
}

/**
 * Checks the fields of one input object at `path` into `checks` (which the caller throws), for a
 * record written inside another's mutation (a sector's dependency). Returns the checked values.
 */
export function checkRecordFields<Spec extends RecordSpec>(
  spec: Spec,
  input: object,
  checks: InputChecks,
  path = 'input',
): RecordValues<Spec['fields']> {
  return checkFields(checks, path, spec.fields, input as Input, readerOf(input as Input), 'create') as RecordValues<
    Spec['fields']
  >;
}

/**
 * Checks a create's input, every field at once (`input.<field>`), and its idempotency key; throws
 * `BAD_USER_INPUT` naming the first bad field. What other offices know (that a partner exists) is
 * checked afterwards, with them.
 */
export function checkCreateInput<Spec extends RecordSpec>(
  spec: Spec,
  input: object,
  idempotencyKey: string | null | undefined,
): CreateValues<Spec> {
  const checks = new InputChecks();
  if (idempotencyKey !== null && idempotencyKey !== undefined) {
    checks.text('idempotencyKey', idempotencyKey, { max: IDEMPOTENCY_KEY_MAX });
  }
  const given = input as Input;
  const id = spec.id === false ? {} : { id: checks.slug('input.id', given.id as string, ID_MAX) };
  const values = { ...id, ...checkFields(checks, 'input', spec.fields, given, readerOf(given), 'create') };
  checks.throwIfInvalid();
  return values as CreateValues<Spec>;
}

/**
 * Checks an update: the version read, then only the fields given, at least one of them; a field
 * that must hold a value cannot be set to null (a nullable one is cleared by it).
 */
export function checkUpdateInput<Spec extends RecordSpec>(
  spec: Spec,
  expectedVersion: number,
  input: object,
): UpdateValues<Spec> {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  const given = input as Input;
  for (const [name, value] of Object.entries(given)) {
    const field = spec.fields[name];
    if (field === undefined || field.update === false) {
      throw new Error(`${spec.entityType} record spec: an update cannot change ${name}`);
    }
    if (value === null && !isNullable(field)) checks.add(`input.${name}`, NOT_NULL);
  }
  const values = checkFields(checks, 'input', spec.fields, given, readerOf(given), 'update');
  if (Object.keys(given).length === 0) checks.add('input', 'name at least one field to change');
  checks.throwIfInvalid();
  return values as UpdateValues<Spec>;
}

/** Checks an archive's version. */
export function checkArchiveInput(expectedVersion: number): void {
  const checks = new InputChecks();
  checks.version('expectedVersion', expectedVersion);
  checks.throwIfInvalid();
}
