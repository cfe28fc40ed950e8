import type { Queryable } from '../database.js';
import type { BooleanRule, EnumRule, IntegerRule, TextRule } from '../records/spec.js';
import type { ValidRecord } from './validate.js';

/**
 * What it takes to import and export one kind of record in bulk: its table, and each field of the
 * file with its column and its rules (an office derives it from its record spec: `toBulkSpec`,
 * records/bulk.ts). Everything else (parsing, the validation report, the one-transaction upsert,
 * the audit rows, export) is the kit's.
 */

export type BulkFormat = 'JSON' | 'CSV';

/** The codes a row error can carry (`BulkRowError.code`). */
export type BulkErrorCode =
  /** The file is not JSON, not an array, or not valid CSV (row 0: the file or its header). */
  | 'PARSE_ERROR'
  /** The file has no records. */
  | 'EMPTY'
  /** More records than the office accepts in one import. */
  | 'TOO_MANY_ROWS'
  /** A column (CSV header) or key (JSON) the record does not have. */
  | 'UNKNOWN_FIELD'
  /** The CSV header lacks a required column. */
  | 'MISSING_COLUMN'
  /** A CSV record with more or fewer fields than the header. */
  | 'FIELD_COUNT'
  /** A required field is absent or empty. */
  | 'REQUIRED'
  /** A value of the wrong type: text where a number is expected, a JSON object where text is. */
  | 'INVALID_TYPE'
  /** A value outside the field's rules: not one of the enum's values, a bad id, out of range. */
  | 'INVALID_VALUE'
  | 'TOO_LONG'
  /** The same id on two rows of the file. */
  | 'DUPLICATE_ID'
  /** A reference to a record that neither the store (or the office that owns it) nor the file has. */
  | 'UNKNOWN_REFERENCE'
  /** The row names a `version` and the stored record is at another one. */
  | 'CONFLICT';

export interface BulkRowError {
  /** The record's position in the file, the first record being 1 (CSV: the header is not counted); 0 for the whole file. */
  row: number;
  /** The field (JSON path or CSV column, e.g. `source.basis`), or null for the row or file as a whole. */
  field: string | null;
  code: BulkErrorCode;
  message: string;
}

export interface BulkImportReport {
  /** True when every row was written (one transaction); false when anything was wrong, or on a dry run. */
  applied: boolean;
  dryRun: boolean;
  /** Records in the file. */
  rows: number;
  /** What was done; on a dry run or a refusal, what the rows without errors would do. */
  created: number;
  updated: number;
  /** Rows equal to the stored record: not written, no new version, no audit row. */
  unchanged: number;
  errors: BulkRowError[];
}

interface FieldCommon {
  /** The table column that stores it. */
  column: string;
  /** Absent or empty is an error; otherwise it takes `default` (or null). */
  required?: boolean;
}

// A file's field takes the rules of the record spec's field it comes from (records/bulk.ts).

export interface TextField extends FieldCommon, Pick<TextRule, 'min' | 'max' | 'pattern' | 'patternHint' | 'default'> {
  kind: 'text';
}

export interface IntegerField extends FieldCommon, Pick<IntegerRule, 'min' | 'max' | 'default'> {
  kind: 'integer';
}

export interface BooleanField extends FieldCommon, Pick<BooleanRule, 'default'> {
  kind: 'boolean';
}

export interface EnumField extends FieldCommon, Pick<EnumRule, 'values' | 'default'> {
  kind: 'enum';
}

interface ListRules {
  kind: 'list';
  /** Absent or empty is an error; otherwise it is the empty list. */
  required?: boolean;
  maxItems?: number;
  /** Each item's rules (trimmed; at most 200 characters unless said). */
  item?: { max?: number; pattern?: RegExp; patternHint?: string };
}

/**
 * Several texts: a JSON array of strings; in CSV one column, the items joined with `;`. Stored in an
 * array column (`text[]`) of the entity's table.
 */
export interface ListField extends ListRules, FieldCommon {
  related?: false;
  /**
   * Whether the order of the items is part of the value (default true). False: a set, compared and
   * exported sorted, so a row listing the same items in another order is unchanged.
   */
  ordered?: boolean;
}

/**
 * A list kept outside the entity's table (a child table, one row per item): left out of the table's
 * INSERT and UPDATE, read for every record at once by the spec's `readRelated` (to compare, audit
 * and export) and written by its `writeRelated`, in the import's transaction.
 */
export interface RelatedListField extends ListRules {
  related: true;
  /**
   * Whether the order of the items is part of the value, as the office stores it (a position
   * column): true compares the lists as they are; false treats them as sets, compared and exported
   * sorted, so a row listing the same items in another order is unchanged.
   */
  ordered: boolean;
}

export type BulkField = TextField | IntegerField | BooleanField | EnumField | ListField | RelatedListField;

/** The fields stored in the entity's own table (every field but the related lists). */
export type ColumnField = Exclude<BulkField, RelatedListField>;

export function isRelatedList(field: BulkField): field is RelatedListField {
  return field.kind === 'list' && field.related === true;
}

/** Field name → its items, for each record a spec's `readRelated` knows (a record with none may be absent). */
export type RelatedLists = Map<string, Record<string, readonly string[]>>;

/** Ids of `field` (a text or list field) must name existing records of `entity`. */
export interface BulkReference {
  field: string;
  /** For messages, e.g. `Partner`. */
  entity: string;
  /** Whether an id defined by another row of the same file counts (a record that refers to its own kind). */
  inFile?: boolean;
  /**
   * Which of these ids exist: in the office's own store (`db`), or at the office that owns them
   * (`peersOf(context).lookup(...)`). Called once per import with every distinct id.
   */
  known(ids: readonly string[], request: { db: Queryable; context: object }): Promise<Iterable<string>>;
}

export interface BulkRecordSpec {
  /** The audit log's entity type, e.g. `Partner`. */
  entityType: string;
  /** PostgreSQL schema and table; the table has `id text` and `version int` columns (writes/). */
  schema: string;
  table: string;
  /**
   * The file's fields besides `id` and `version`, in the order of the CSV columns. A dotted name
   * (`source.document`) is a nested object in JSON and a column of that name in CSV.
   */
  fields: Readonly<Record<string, BulkField>>;
  /** Rules for the id (default: lower-case words joined by hyphens, at most 64 characters). */
  id?: { pattern: RegExp; patternHint: string; max: number };
  references?: readonly BulkReference[];
  /** Checks across fields of one valid row; `fail` adds an error to the report. */
  checkRow?(record: Readonly<Record<string, unknown>>, fail: (field: string | null, message: string) => void): void;
  /**
   * Reads the related lists (`related: true` fields) of these records: one statement per list for
   * all the ids, never one per record. Record id → field name → items (ordered lists in their
   * stored order); a record or field missing from the answer has an empty list. Required when a
   * field is related; called inside the import's transaction (after the records are locked) and by
   * export.
   */
  readRelated?(db: Queryable, ids: readonly string[]): Promise<RelatedLists>;
  /**
   * Writes the related lists, inside the import's transaction, after the upsert: given the created
   * and changed records, each list replacing the stored one. Required when a field is related.
   */
  writeRelated?(tx: Queryable, records: readonly ValidRecord[]): Promise<void>;
  /** The most records one import may hold (default 50,000). */
  maxRows?: number;
}

export const DEFAULT_ID_RULE = {
  pattern: /^[a-z0-9]+(-[a-z0-9]+)*$/,
  patternHint: 'lower-case letters and digits joined by single hyphens',
  max: 64,
};

export const DEFAULT_MAX_ROWS = 50_000;
