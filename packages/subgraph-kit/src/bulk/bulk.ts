import { codedError } from '@cip/core';
import type { Database, Queryable } from '../database.js';
import type { AuditChange } from '../writes/audit.js';
import { isUniqueViolation, type RecordRow } from '../writes/concurrency.js';
import { identifier, qualified } from '../writes/sql.js';
import { serializeCsv } from './csv.js';
import { changeChannel, insertAndAnnounceSql } from '../changes/channel.js';
import {
  isRelatedList,
  type BulkField,
  type BulkFormat,
  type BulkImportReport,
  type BulkRecordSpec,
  type BulkRowError,
  type ColumnField,
  type RelatedListField,
  type RelatedLists,
} from './spec.js';
import { checkReferences, validateRecords, type ValidRecord } from './validate.js';

export interface BulkImportRequest {
  format: BulkFormat;
  content: string;
  /** Check everything (references and versions included) and report, writing nothing. */
  dryRun?: boolean | null;
  /** Who the audit rows name (`actorOf(context)`). */
  actor: string;
  /** The resolver's context, handed to reference checks (they may ask other offices: `peersOf`). */
  context: object;
}

/** Rows per statement: keeps each statement well under the store's statement timeout and parameter sizes. */
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += CHUNK) result.push(items.slice(start, start + CHUNK));
  return result;
}

/** Thrown inside the transaction to roll it back and hand the report out. */
class RolledBack extends Error {
  constructor(readonly report: BulkImportReport) {
    super('bulk import rolled back');
  }
}

/** The spec's fields split by where they live: the entity's table, or a list of the spec's `readRelated`. */
interface FieldsByStore {
  columns: [string, ColumnField][];
  related: [string, RelatedListField][];
}

function fieldsOf(spec: BulkRecordSpec): FieldsByStore {
  const fields: FieldsByStore = { columns: [], related: [] };
  for (const [name, field] of Object.entries(spec.fields)) {
    if (isRelatedList(field)) fields.related.push([name, field]);
    else fields.columns.push([name, field]);
  }
  if (fields.related.length > 0 && (!spec.readRelated || !spec.writeRelated)) {
    throw new Error(
      `${spec.entityType} bulk spec: the related lists (${fields.related.map(([name]) => name).join(', ')}) need readRelated and writeRelated`,
    );
  }
  return fields;
}

/** A list as it is compared and exported: a set (`ordered: false`) sorted, an ordered list as it is. */
function normalized(field: BulkField, value: unknown): unknown {
  if (field.kind !== 'list' || !Array.isArray(value)) return value ?? null;
  const ordered = isRelatedList(field) ? field.ordered : field.ordered !== false;
  return ordered ? value : [...(value as string[])].sort();
}

/** Each related list of one record, by field name (empty when the store has none). */
function relatedOf(fields: FieldsByStore, lists: RelatedLists, id: string): Record<string, unknown> {
  const stored = lists.get(id);
  return Object.fromEntries(fields.related.map(([name, field]) => [name, normalized(field, stored?.[name] ?? [])]));
}

async function readRelated(
  db: Queryable,
  spec: BulkRecordSpec,
  fields: FieldsByStore,
  ids: readonly string[],
): Promise<RelatedLists> {
  if (fields.related.length === 0 || ids.length === 0) return new Map();
  return spec.readRelated!(db, ids);
}

function columnsOf(fields: FieldsByStore, record: ValidRecord): Record<string, unknown> {
  const columns: Record<string, unknown> = { id: record.id };
  for (const [name, field] of fields.columns) columns[field.column] = record.values[name] ?? null;
  return columns;
}

function sameValues(
  fields: FieldsByStore,
  stored: { row: RecordRow; related: Record<string, unknown> },
  record: ValidRecord,
): boolean {
  const same = (field: BulkField, a: unknown, b: unknown) =>
    JSON.stringify(normalized(field, a)) === JSON.stringify(normalized(field, b));
  return (
    fields.columns.every(([name, field]) => same(field, stored.row[field.column], record.values[name])) &&
    fields.related.every(([name, field]) => same(field, stored.related[name], record.values[name]))
  );
}

function byRow(a: BulkRowError, b: BulkRowError): number {
  return a.row - b.row;
}

/**
 * Writes audit rows in batches: the same rows `writeAudit` writes, one statement per chunk, in
 * order, each row's id announced as `writeAudit` announces it (one live change per changed record).
 */
async function writeAuditRows(tx: Queryable, schema: string, changes: readonly AuditChange[]): Promise<void> {
  for (const chunk of chunks(changes)) {
    await tx.query(
      insertAndAnnounceSql(
        `INSERT INTO ${qualified(schema, 'audit_log')} (actor, action, entity_type, entity_id, old, new)
         SELECT x.e->>'actor', x.e->>'action', x.e->>'entityType', x.e->>'entityId',
           NULLIF(x.e->'old', 'null'::jsonb), NULLIF(x.e->'new', 'null'::jsonb)
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY x.n`,
        '$2',
      ),
      [JSON.stringify(chunk), changeChannel(schema)],
    );
  }
}

/**
 * Adds one related list to what a spec's `readRelated` answers, from rows of `{ id, items }` (one
 * row per record, e.g. `SELECT parent_id AS id, array_agg(child_id ORDER BY child_id) AS items ...
 * GROUP BY parent_id`).
 */
export function addRelatedList(
  lists: RelatedLists,
  field: string,
  rows: readonly { id: string; items: readonly string[] }[],
): RelatedLists {
  for (const { id, items } of rows) lists.set(id, { ...lists.get(id), [field]: items });
  return lists;
}

/**
 * Imports a file of records all-or-nothing: every row is checked (fields, duplicate ids,
 * references, the `version` a row names) and every problem reported; with any problem, or on a dry
 * run, nothing is written. Otherwise one transaction upserts every row by id (new ids at version 1,
 * changed records at version + 1, equal ones left alone) with an audit row per change, so a crash
 * at any point leaves all of the import or none of it.
 */
export async function bulkImport(
  db: Database,
  spec: BulkRecordSpec,
  request: BulkImportRequest,
): Promise<BulkImportReport> {
  const fields = fieldsOf(spec);
  const dryRun = request.dryRun === true;
  const validation = validateRecords(spec, request.format, request.content);
  const errors = [...validation.errors];
  const { records } = validation;
  errors.push(...(await checkReferences(spec, records, { db, context: request.context })));
  const report = (applied: boolean, counts = { created: 0, updated: 0, unchanged: 0 }): BulkImportReport => ({
    applied,
    dryRun,
    rows: validation.rows,
    ...counts,
    errors: errors.sort(byRow),
  });
  if (records.length === 0) return report(false);
  const table = qualified(spec.schema, spec.table);
  const rowType = `NULL::${table}`;
  const columns = ['id', ...fields.columns.map(([, field]) => field.column)];
  try {
    return await db.transaction(async (tx) => {
      // Locked in id order (so two imports cannot deadlock), kept until commit: the versions
      // checked here are the versions replaced.
      const stored = new Map<string, RecordRow>();
      for (const ids of chunks(records.map((record) => record.id).sort())) {
        const rows = await tx.query<{ row: RecordRow }>(
          `SELECT to_jsonb(t) AS row FROM ${table} t WHERE t.id = ANY($1::text[]) ORDER BY t.id FOR UPDATE`,
          [ids],
        );
        for (const { row } of rows) stored.set(String(row.id), row);
      }
      // Read after the lock, like the rows: what is compared is what the update replaces.
      const storedLists = await readRelated(tx, spec, fields, [...stored.keys()]);
      const storedRelated = (id: string) => relatedOf(fields, storedLists, id);
      const creates: { record: ValidRecord; columns: Record<string, unknown> }[] = [];
      const updates: typeof creates = [];
      let unchanged = 0;
      const rowsInError = new Set(errors.map((error) => error.row));
      for (const record of records) {
        // Counted only if it has no error: the counts say what the file's good rows would do.
        if (rowsInError.has(record.row)) continue;
        const current = stored.get(record.id);
        const values = columnsOf(fields, record);
        if (!current) creates.push({ record, columns: values });
        else if (record.version !== null && record.version !== current.version) {
          errors.push({
            row: record.row,
            field: 'version',
            code: 'CONFLICT',
            message: `${spec.entityType} ${record.id} is at version ${current.version}, not ${record.version}: it changed since it was exported`,
          });
        } else if (sameValues(fields, { row: current, related: storedRelated(record.id) }, record)) unchanged += 1;
        else updates.push({ record, columns: values });
      }
      const counts = { created: creates.length, updated: updates.length, unchanged };
      if (errors.length > 0 || dryRun) throw new RolledBack(report(false, counts));

      const written = new Map<string, RecordRow>();
      const selected = columns.map((column) => `x.${identifier(column)}`).join(', ');
      for (const chunk of chunks(creates)) {
        const rows = await tx.query<{ row: RecordRow }>(
          `INSERT INTO ${table} AS t (${columns.map(identifier).join(', ')})
           SELECT ${selected} FROM jsonb_populate_recordset(${rowType}, $1::jsonb) AS x
           RETURNING to_jsonb(t) AS row`,
          [JSON.stringify(chunk.map((create) => create.columns))],
        );
        for (const { row } of rows) written.set(String(row.id), row);
      }
      const assignments = columns
        .filter((column) => column !== 'id')
        .map((column) => `${identifier(column)} = x.${identifier(column)}`);
      for (const chunk of chunks(updates)) {
        const rows = await tx.query<{ row: RecordRow }>(
          `UPDATE ${table} AS t SET ${[...assignments, 'version = t.version + 1'].join(', ')}
           FROM jsonb_populate_recordset(${rowType}, $1::jsonb) AS x
           WHERE t.id = x.id RETURNING to_jsonb(t) AS row`,
          [JSON.stringify(chunk.map((update) => update.columns))],
        );
        for (const { row } of rows) written.set(String(row.id), row);
      }
      await spec.writeRelated?.(
        tx,
        [...creates, ...updates].map(({ record }) => record),
      );
      // The audit values are the table row and, under their field names, the related lists: old as
      // stored, new as written (sets sorted, as the store reads them back).
      const writtenRelated = (record: ValidRecord) =>
        Object.fromEntries(fields.related.map(([name, field]) => [name, normalized(field, record.values[name])]));
      const changes: AuditChange[] = [...creates, ...updates]
        .sort((a, b) => a.record.row - b.record.row)
        .map(({ record }) => {
          const old = stored.get(record.id);
          const writtenRow = written.get(record.id);
          return {
            actor: request.actor,
            action: old ? 'update' : 'create',
            entityType: spec.entityType,
            entityId: record.id,
            old: old ? { ...old, ...storedRelated(record.id) } : null,
            new: writtenRow ? { ...writtenRow, ...writtenRelated(record) } : null,
          };
        });
      await writeAuditRows(tx, spec.schema, changes);
      return report(true, counts);
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.report;
    // Another write created one of these ids after the check above: nothing of this import stays.
    if (isUniqueViolation(error)) {
      throw codedError(
        'CONFLICT',
        `Another write created one of these ${spec.entityType} records while the import ran; nothing was imported. Run the import again.`,
      );
    }
    throw error;
  }
}

/**
 * Every record of the spec's table, ordered by id, with its related lists, in the import's own
 * format: exporting and importing the result again changes nothing (each row names the version it
 * was exported at).
 */
export async function bulkExport(db: Queryable, spec: BulkRecordSpec, format: BulkFormat): Promise<string> {
  const fields = fieldsOf(spec);
  const rows = await db.query<{ row: RecordRow }>(
    `SELECT to_jsonb(t) AS row FROM ${qualified(spec.schema, spec.table)} t ORDER BY t.id`,
  );
  const lists = await readRelated(
    db,
    spec,
    fields,
    rows.map(({ row }) => String(row.id)),
  );
  const names = ['id', ...Object.keys(spec.fields), 'version'];
  const valuesOf = ({ row }: { row: RecordRow }) => {
    const related = fields.related.length > 0 ? relatedOf(fields, lists, String(row.id)) : {};
    return names.map((name) => {
      if (name === 'id' || name === 'version') return row[name];
      const field = spec.fields[name]!;
      return isRelatedList(field) ? related[name] : normalized(field, row[field.column]);
    });
  };
  if (format === 'CSV') {
    return serializeCsv(
      names,
      rows.map((row) =>
        valuesOf(row).map((value) =>
          value === null ? '' : Array.isArray(value) ? value.join(';') : String(value as string | number | boolean),
        ),
      ),
    );
  }
  const objects = rows.map((row) => {
    const object: Record<string, unknown> = {};
    valuesOf(row).forEach((value, index) => {
      if (value === null) return;
      const path = names[index]!.split('.');
      let target = object;
      for (const part of path.slice(0, -1)) target = (target[part] ??= {}) as Record<string, unknown>;
      target[path.at(-1)!] = value;
    });
    return JSON.stringify(object);
  });
  // One record per line: readable, diffable, and still compact enough for the request body limit.
  return objects.length === 0 ? '[]\n' : `[\n${objects.join(',\n')}\n]\n`;
}
