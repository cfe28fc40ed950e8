import { identifier } from '../writes/sql.js';
import { columnOf, flatFields, isChildList, storeOf, type RecordRead, type RecordSpec } from './spec.js';

/**
 * The column list and row mapping a spec derives: which column holds each field, read into the
 * record's shape (a group as an object) and written back from it. Lists kept in child tables are
 * not in the entity's table: their loaders read them.
 */

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)?$/;

/**
 * The SQL select list of the fields stored in the entity's table, each under its dotted name
 * (`p."short_name" AS "shortName"`, `p."source_basis" AS "source.basis"`), for `readRecord`.
 */
export function recordColumns(spec: RecordSpec, alias: string): string {
  storeOf(spec);
  return flatFields(spec.fields)
    .filter(({ field }) => !isChildList(field))
    .map(({ name, field }) => {
      if (!FIELD_NAME.test(name)) throw new Error(`${spec.entityType} record spec: ${name} is not a field name`);
      return `${identifier(alias)}.${identifier(columnOf(spec, name, field))} AS "${name}"`;
    })
    .join(', ');
}

/**
 * A row selected with `recordColumns` as the record: each group an object (an optional group
 * with no value at all is null), every other column of the row (`id`, `version`, ...) as it is.
 */
export function readRecord<Spec extends RecordSpec>(
  spec: Spec,
  row: Readonly<Record<string, unknown>>,
): RecordRead<Spec> & Record<string, unknown> {
  const { fields, columns } = readerOf(spec);
  const record: Record<string, unknown> = {};
  for (const name of Object.keys(row)) if (!columns.has(name)) record[name] = row[name];
  for (const field of fields) {
    if (field.group === null) {
      record[field.name] = row[field.name] ?? null;
      continue;
    }
    const group: Record<string, unknown> = {};
    let empty = true;
    for (const [inner, column] of field.group) {
      const value = row[column] ?? null;
      if (value !== null) empty = false;
      group[inner] = value;
    }
    record[field.name] = empty && !field.required ? null : group;
  }
  return record as RecordRead<Spec> & Record<string, unknown>;
}

/** What `readRecord` needs of a spec, worked out once per spec: it runs for every row an office reads. */
interface RecordReader {
  /** Each field in the entity's table: a plain one, or a group with each inner field's column. */
  fields: { name: string; group: [inner: string, column: string][] | null; required: boolean }[];
  /** The columns `fields` read; the row's others are kept as they are. */
  columns: ReadonlySet<string>;
}

const readers = new WeakMap<RecordSpec, RecordReader>();

function readerOf(spec: RecordSpec): RecordReader {
  let reader = readers.get(spec);
  if (reader) return reader;
  const fields: RecordReader['fields'] = [];
  const columns = new Set<string>();
  for (const [name, field] of Object.entries(spec.fields)) {
    if (isChildList(field)) continue;
    if (field.kind === 'group') {
      const group = Object.keys(field.fields).map((inner): [string, string] => [inner, `${name}.${inner}`]);
      for (const [, column] of group) columns.add(column);
      fields.push({ name, group, required: field.required === true });
    } else {
      columns.add(name);
      fields.push({ name, group: null, required: false });
    }
  }
  reader = { fields, columns };
  readers.set(spec, reader);
  return reader;
}

/**
 * Column name → value for the fields given (a create's values, an update's changes), for
 * `insertRecord` and `updateVersioned`: a group's fields one column each (a null group clears
 * them all); lists kept in child tables left out.
 */
export function recordToColumns(spec: RecordSpec, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(spec.fields)) {
    const value = values[name];
    if (value === undefined || isChildList(field)) continue;
    if (field.kind === 'group') {
      for (const [inner, child] of Object.entries(field.fields)) {
        const innerValue = value === null ? null : (value as Record<string, unknown>)[inner];
        columns[columnOf(spec, `${name}.${inner}`, child)] = innerValue ?? null;
      }
    } else {
      columns[columnOf(spec, name, field)] = value;
    }
  }
  return columns;
}
