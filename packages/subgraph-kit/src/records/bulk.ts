import type { Queryable } from '../database.js';
import { addRelatedList } from '../bulk/bulk.js';
import type { BulkField, BulkRecordSpec, BulkReference, RelatedLists } from '../bulk/spec.js';
import type { ValidRecord } from '../bulk/validate.js';
import { identifier, qualified } from '../writes/sql.js';
import {
  ID_MAX,
  ID_PATTERN,
  columnOf,
  flatFields,
  isChildList,
  recordReferences,
  storeOf,
  type ChildTable,
  type FlatField,
  type ListItem,
  type FieldRule,
  type RecordSpec,
} from './spec.js';
import { knownByPeer, knownLocally } from './references.js';

/**
 * The bridge from a record spec to the bulk kit's spec (bulk/spec.ts): a file's fields are the
 * record's (a group's as dotted names, `source.document`), with the same rules, references and
 * checks; the lists kept in child tables of ids or texts are read and written by the kit.
 */

type ReferenceRequest = Parameters<BulkReference['known']>[1];

export interface BulkOptions {
  /**
   * Which of these ids exist, for a field that names other records: answered from lookups the
   * office made before the import, say. Default: asked of the store (a local reference) or of the
   * office that owns them (`peersOf(context).lookup`), once per import and field.
   */
  known?(
    field: string,
    ids: readonly string[],
    request: ReferenceRequest,
  ): Promise<Iterable<string>> | Iterable<string>;
  /**
   * How a file spells each item of a list of records, by the list's name: one text, with these
   * rules (`DHS (pipelines)`). The office reads and writes such a list (`readRelated`,
   * `writeRelated`) and checks its items (`checkRow`); the list's own `check` sees the texts.
   */
  itemsAsText?: Readonly<Record<string, { max?: number; pattern?: RegExp; patternHint?: string }>>;
  /** References besides those the spec names (a list of records, whose items name an agency). */
  references?: readonly BulkReference[];
  /** Checks of one valid row after the fields' own `check`s (that a party list holds the home party, say). */
  checkRow?: BulkRecordSpec['checkRow'];
  /** Read and write the child-table lists instead of the kit (required for a list of records). */
  readRelated?: BulkRecordSpec['readRelated'];
  writeRelated?: BulkRecordSpec['writeRelated'];
  maxRows?: number;
}

const ID_ITEM = { max: ID_MAX, pattern: ID_PATTERN, patternHint: 'an id: lower-case words joined by hyphens' };

/** `Value` with each property that may be undefined made optional instead. */
type Defined<Value> = { [Key in keyof Value as undefined extends Value[Key] ? never : Key]: Value[Key] } & {
  [Key in keyof Value as undefined extends Value[Key] ? Key : never]?: Exclude<Value[Key], undefined>;
};

/** Copies the rules that are set: the bulk spec's optional properties take no `undefined`. */
function rules<const Value extends object>(value: Value): Defined<Value> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Defined<Value>;
}

function itemRule(spec: RecordSpec, name: string, item: ListItem, options: BulkOptions) {
  if (item.kind === 'id') return ID_ITEM;
  if (item.kind === 'text') return rules({ max: item.max, pattern: item.pattern, patternHint: item.patternHint });
  const asText = options.itemsAsText?.[name];
  if (!asText)
    throw new Error(
      `${spec.entityType} record spec: ${name} is a list of records; say how a file spells one (itemsAsText)`,
    );
  return asText;
}

function bulkField(spec: RecordSpec, { name, field, required }: FlatField, options: BulkOptions): BulkField {
  switch (field.kind) {
    case 'text':
      return rules({
        kind: 'text',
        column: columnOf(spec, name, field),
        required,
        min: field.min,
        max: field.max,
        pattern: field.pattern,
        patternHint: field.patternHint,
        default: field.default,
      });
    case 'id':
      return { kind: 'text', column: columnOf(spec, name, field), required, ...ID_ITEM };
    case 'integer':
      return rules({
        kind: 'integer',
        column: columnOf(spec, name, field),
        required,
        min: field.min,
        max: field.max,
        default: field.default,
      });
    case 'boolean':
      return rules({ kind: 'boolean', column: columnOf(spec, name, field), required, default: field.default });
    case 'enum':
      return rules({
        kind: 'enum',
        column: columnOf(spec, name, field),
        required,
        values: field.values,
        default: field.default,
      });
    case 'list': {
      const item = itemRule(spec, name, field.item, options);
      if (field.table) {
        const ordered = field.table.position !== undefined;
        return rules({ kind: 'list', related: true, ordered, required, maxItems: field.maxItems, item });
      }
      return rules({
        kind: 'list',
        column: columnOf(spec, name, field),
        required,
        maxItems: field.maxItems,
        ordered: field.ordered,
        item,
      });
    }
  }
}

/** The lists kept in child tables, of ids or texts (a list of records is the office's to read and write). */
function childLists(spec: RecordSpec): { name: string; table: ChildTable & { column: string } }[] {
  return Object.entries(spec.fields).flatMap(([name, field]) => {
    if (!isChildList(field)) return [];
    if (field.item.kind === 'record' || field.table.column === undefined) {
      throw new Error(`${spec.entityType} record spec: ${name} is a list the office reads and writes (readRelated)`);
    }
    return [{ name, table: { ...field.table, column: field.table.column } }];
  });
}

/**
 * Record id → each child-table list's items (a set sorted, an ordered list by position): one
 * statement per list for all the ids. What the bulk kit compares and exports, and what an office
 * holds today when it checks what a file changes.
 */
export async function readChildLists(spec: RecordSpec, db: Queryable, ids: readonly string[]): Promise<RelatedLists> {
  const lists: RelatedLists = new Map();
  const { schema } = storeOf(spec);
  for (const { name, table } of childLists(spec)) {
    const parent = identifier(table.parent);
    const order = identifier(table.position ?? table.column);
    const rows = await db.query<{ id: string; items: string[] }>(
      `SELECT ${parent} AS id, array_agg(${identifier(table.column)} ORDER BY ${order}) AS items
       FROM ${qualified(schema, table.table)} WHERE ${parent} = ANY($1::text[]) GROUP BY ${parent}`,
      [ids],
    );
    addRelatedList(lists, name, rows);
  }
  return lists;
}

/** Replaces each written record's child-table lists by its file lists (in order, where the order is kept). */
async function writeChildLists(spec: RecordSpec, tx: Queryable, records: readonly ValidRecord[]): Promise<void> {
  const { schema } = storeOf(spec);
  const ids = records.map((record) => record.id);
  for (const { name, table } of childLists(spec)) {
    const target = qualified(schema, table.table);
    const parent = identifier(table.parent);
    await tx.query(`DELETE FROM ${target} WHERE ${parent} = ANY($1::text[])`, [ids]);
    const items = JSON.stringify(records.map((record) => ({ id: record.id, items: record.values[name] })));
    await tx.query(
      table.position === undefined
        ? `INSERT INTO ${target} (${parent}, ${identifier(table.column)})
           SELECT x.e->>'id', jsonb_array_elements_text(x.e->'items') FROM jsonb_array_elements($1::jsonb) AS x(e)`
        : `INSERT INTO ${target} (${parent}, ${identifier(table.column)}, ${identifier(table.position)})
           SELECT x.e->>'id', i.item, i.n FROM jsonb_array_elements($1::jsonb) AS x(e),
             jsonb_array_elements_text(x.e->'items') WITH ORDINALITY AS i(item, n)`,
      [items],
    );
  }
}

/** The bulk kit's spec of a record: its table, its fields in order with their rules, references and checks. */
export function toBulkSpec(spec: RecordSpec, options: BulkOptions = {}): BulkRecordSpec {
  const { schema, table } = storeOf(spec);
  const flat = flatFields(spec.fields);
  const fields = Object.fromEntries(flat.map((entry) => [entry.name, bulkField(spec, entry, options)]));
  const references: BulkReference[] = recordReferences(spec).map(({ field, reference }) => ({
    field,
    entity: reference.entity,
    // A record that names its own kind may name one the same file adds.
    ...('table' in reference && reference.table === table ? { inFile: true } : {}),
    known: async (ids, { db, context }) => {
      if (options.known) return options.known(field, ids, { db, context });
      return 'table' in reference ? knownLocally(db, schema, reference, ids) : knownByPeer(context, reference, ids);
    },
  }));
  const hasChildLists = Object.values(spec.fields).some(isChildList);
  const readRelated =
    options.readRelated ??
    (hasChildLists ? (db: Queryable, ids: readonly string[]) => readChildLists(spec, db, ids) : undefined);
  const writeRelated =
    options.writeRelated ??
    (hasChildLists
      ? (tx: Queryable, records: readonly ValidRecord[]) => writeChildLists(spec, tx, records)
      : undefined);
  return {
    entityType: spec.entityType,
    schema,
    table,
    fields,
    references: [...references, ...(options.references ?? [])],
    checkRow(record, fail) {
      const read = (name: string) => record[name] ?? null;
      const check = (name: string, field: FieldRule, value: unknown) => {
        const problem = field.check?.(value, read);
        if (problem !== undefined) fail(name, problem);
      };
      for (const [name, field] of Object.entries(spec.fields)) {
        if (field.kind !== 'group') {
          check(name, field, read(name));
          continue;
        }
        const group = Object.keys(field.fields).map((inner) => [inner, read(`${name}.${inner}`)] as const);
        for (const [inner, value] of group) check(`${name}.${inner}`, field.fields[inner]!, value);
        const empty = group.every(([, value]) => value === null);
        check(name, field, empty && !field.required ? null : Object.fromEntries(group));
      }
      options.checkRow?.(record, fail);
    },
    ...(readRelated ? { readRelated } : {}),
    ...(writeRelated ? { writeRelated } : {}),
    ...(options.maxRows !== undefined ? { maxRows: options.maxRows } : {}),
  };
}
