import type { Queryable } from '../database.js';
import { CsvSyntaxError, parseCsv } from './csv.js';
import {
  DEFAULT_ID_RULE,
  DEFAULT_MAX_ROWS,
  type BulkField,
  type BulkFormat,
  type BulkRecordSpec,
  type BulkRowError,
} from './spec.js';

/** A row that passed every check of its own: its id, the version it names (if any) and its field values. */
export interface ValidRecord {
  row: number;
  id: string;
  version: number | null;
  /** Field name (as in the spec) → checked value; null for an optional field left empty. */
  values: Record<string, unknown>;
}

export interface Validation {
  rows: number;
  records: ValidRecord[];
  errors: BulkRowError[];
}

/** A row as read from the file, before its values are checked: CSV cells are text, JSON keeps its types. */
interface RawRow {
  row: number;
  values: Map<string, unknown>;
  fromCsv: boolean;
  /** Not a record at all (a JSON value that is no object, a CSV row of the wrong width): reported once. */
  unreadable?: boolean;
}

const LIST_SEPARATOR = ';';

function fileError(code: BulkRowError['code'], message: string, field: string | null = null): BulkRowError {
  return { row: 0, field, code, message };
}

function fieldNames(spec: BulkRecordSpec): string[] {
  return ['id', ...Object.keys(spec.fields), 'version'];
}

function readJson(spec: BulkRecordSpec, content: string, errors: BulkRowError[]): RawRow[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch (error) {
    errors.push(fileError('PARSE_ERROR', `not valid JSON: ${(error as Error).message}`));
    return [];
  }
  if (!Array.isArray(parsed)) {
    errors.push(fileError('PARSE_ERROR', 'expected a JSON array of records'));
    return [];
  }
  const known = new Set(fieldNames(spec));
  const prefixes = new Set(
    [...known].flatMap((name) =>
      name
        .split('.')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
    ),
  );
  return parsed.map((item, index) => {
    const row: RawRow = { row: index + 1, values: new Map(), fromCsv: false };
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ row: row.row, field: null, code: 'INVALID_TYPE', message: 'expected an object' });
      return { ...row, unreadable: true };
    }
    const flatten = (object: Record<string, unknown>, prefix: string) => {
      for (const [key, value] of Object.entries(object)) {
        const path = prefix ? `${prefix}.${key}` : key;
        if (known.has(path)) row.values.set(path, value);
        else if (prefixes.has(path) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
          flatten(value as Record<string, unknown>, path);
        } else if (prefixes.has(path)) {
          // null: the nested fields are absent, and their own checks say whether that is allowed.
          if (value !== null) {
            errors.push({ row: row.row, field: path, code: 'INVALID_TYPE', message: 'expected an object' });
          }
        } else {
          errors.push({
            row: row.row,
            field: path,
            code: 'UNKNOWN_FIELD',
            message: `${spec.entityType} has no field ${path}`,
          });
        }
      }
    };
    flatten(item as Record<string, unknown>, '');
    return row;
  });
}

function readCsv(spec: BulkRecordSpec, content: string, errors: BulkRowError[]): RawRow[] {
  let table;
  try {
    table = parseCsv(content);
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    errors.push({ row: error.row, field: null, code: 'PARSE_ERROR', message: error.message });
    return [];
  }
  const header = table.header.map((name) => name.trim());
  const known = new Set(fieldNames(spec));
  const headerErrors: BulkRowError[] = [];
  header.forEach((name, index) => {
    if (!known.has(name))
      headerErrors.push(fileError('UNKNOWN_FIELD', `${spec.entityType} has no field ${name}`, name));
    else if (header.indexOf(name) !== index)
      headerErrors.push(fileError('PARSE_ERROR', `column ${name} appears twice`, name));
  });
  const required = [
    'id',
    ...Object.entries(spec.fields)
      .filter(([, field]) => field.required)
      .map(([name]) => name),
  ];
  for (const name of required) {
    if (!header.includes(name) && table.records.length > 0) {
      headerErrors.push(
        fileError('MISSING_COLUMN', `the header has no ${name} column, which every record needs`, name),
      );
    }
  }
  // Rows cannot be read against a wrong header: report the header alone, once, not once per row.
  if (headerErrors.length > 0) {
    errors.push(...headerErrors);
    return [];
  }
  return table.records.map((record) => {
    const row: RawRow = { row: record.row, values: new Map(), fromCsv: true };
    if (record.cells.length !== header.length) {
      errors.push({
        row: record.row,
        field: null,
        code: 'FIELD_COUNT',
        message: `has ${record.cells.length} fields, the header ${header.length} (line ${record.line})`,
      });
      return { ...row, unreadable: true };
    }
    // An empty cell is an absent value.
    header.forEach((name, index) => {
      if (record.cells[index] !== '') row.values.set(name, record.cells[index]);
    });
    return row;
  });
}

type Checked = { value: unknown } | { code: BulkRowError['code']; message: string };

function checkText(raw: unknown, min: number, max: number, pattern?: RegExp, hint?: string): Checked {
  if (typeof raw !== 'string') return { code: 'INVALID_TYPE', message: 'expected text' };
  const text = raw.trim();
  if (text.length === 0 && min > 0) return { code: 'REQUIRED', message: 'must not be empty' };
  if (text.length > max) return { code: 'TOO_LONG', message: `must be at most ${max} characters (is ${text.length})` };
  if (text.length < min) return { code: 'INVALID_VALUE', message: `must be at least ${min} characters` };
  if (pattern && !pattern.test(text))
    return { code: 'INVALID_VALUE', message: `must be ${hint ?? `like ${pattern.source}`}` };
  return { value: text };
}

function checkField(field: BulkField, raw: unknown, fromCsv: boolean): Checked {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (field.required) return { code: 'REQUIRED', message: 'is required' };
    return { value: field.kind === 'list' ? [] : (field.default ?? null) };
  }
  switch (field.kind) {
    case 'text':
      return checkText(raw, field.min ?? 1, field.max ?? 200, field.pattern, field.patternHint);
    case 'integer': {
      const value = fromCsv && typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return { code: 'INVALID_TYPE', message: 'expected a whole number' };
      if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
        return { code: 'INVALID_VALUE', message: `must be from ${field.min ?? '-∞'} to ${field.max ?? '∞'}` };
      }
      return { value };
    }
    case 'boolean': {
      const text = fromCsv && typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      const value = text === 'true' ? true : text === 'false' ? false : raw;
      return typeof value === 'boolean' ? { value } : { code: 'INVALID_TYPE', message: 'expected true or false' };
    }
    case 'enum': {
      if (typeof raw !== 'string') return { code: 'INVALID_TYPE', message: 'expected text' };
      const value = raw.trim();
      return field.values.includes(value)
        ? { value }
        : {
            code: 'INVALID_VALUE',
            message: `must be one of ${field.values.join(', ')} (got ${JSON.stringify(value)})`,
          };
    }
    case 'list': {
      const items =
        fromCsv && typeof raw === 'string' ? raw.split(LIST_SEPARATOR).filter((item) => item.trim() !== '') : raw;
      if (!Array.isArray(items)) return { code: 'INVALID_TYPE', message: 'expected a list of texts' };
      if (field.maxItems !== undefined && items.length > field.maxItems) {
        return { code: 'INVALID_VALUE', message: `must have at most ${field.maxItems} items` };
      }
      const values: string[] = [];
      for (const [index, item] of items.entries()) {
        const checked = checkText(item, 1, field.item?.max ?? 200, field.item?.pattern, field.item?.patternHint);
        if (!('value' in checked)) return { code: checked.code, message: `item ${index + 1}: ${checked.message}` };
        const value = checked.value as string;
        if (value.includes(LIST_SEPARATOR)) {
          return { code: 'INVALID_VALUE', message: `item ${index + 1}: must not contain "${LIST_SEPARATOR}"` };
        }
        if (!values.includes(value)) values.push(value);
      }
      return { value: values };
    }
  }
}

/**
 * Reads and checks every row of the file, collecting every problem (row, field, code, message)
 * rather than stopping at the first. Reference checks are separate (checkReferences), since they
 * ask the store or another office.
 */
export function validateRecords(spec: BulkRecordSpec, format: BulkFormat, content: string): Validation {
  const errors: BulkRowError[] = [];
  const raw = format === 'JSON' ? readJson(spec, content, errors) : readCsv(spec, content, errors);
  const maxRows = spec.maxRows ?? DEFAULT_MAX_ROWS;
  if (raw.length > maxRows) {
    errors.push(
      fileError('TOO_MANY_ROWS', `has ${raw.length} records; one import takes at most ${maxRows}: split the file`),
    );
    return { rows: raw.length, records: [], errors };
  }
  if (raw.length === 0 && errors.length === 0) errors.push(fileError('EMPTY', 'the file has no records'));
  const idRule = spec.id ?? DEFAULT_ID_RULE;
  const firstRowOf = new Map<string, number>();
  const records: ValidRecord[] = [];
  const rowsWithErrors = new Set(errors.map((error) => error.row));
  for (const row of raw) {
    if (row.unreadable) continue;
    const fail = (field: string | null, code: BulkRowError['code'], message: string) => {
      errors.push({ row: row.row, field, code, message });
      rowsWithErrors.add(row.row);
    };
    const id = checkField(
      {
        kind: 'text',
        column: 'id',
        required: true,
        max: idRule.max,
        pattern: idRule.pattern,
        patternHint: idRule.patternHint,
      },
      row.values.get('id'),
      row.fromCsv,
    );
    if ('code' in id) fail('id', id.code, id.message);
    const version = checkField({ kind: 'integer', column: 'version', min: 1 }, row.values.get('version'), row.fromCsv);
    if ('code' in version) fail('version', version.code, version.message);
    const values: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(spec.fields)) {
      const checked = checkField(field, row.values.get(name), row.fromCsv);
      if ('code' in checked) fail(name, checked.code, checked.message);
      else values[name] = checked.value;
    }
    if ('value' in id) {
      const key = id.value as string;
      const first = firstRowOf.get(key);
      if (first !== undefined) fail('id', 'DUPLICATE_ID', `the id ${key} is also on row ${first}`);
      else firstRowOf.set(key, row.row);
    }
    if (!rowsWithErrors.has(row.row)) {
      spec.checkRow?.({ id: (id as { value: string }).value, ...values }, (field, message) =>
        fail(field, 'INVALID_VALUE', message),
      );
    }
    if (!rowsWithErrors.has(row.row)) {
      records.push({
        row: row.row,
        id: (id as { value: string }).value,
        version: (version as { value: number | null }).value,
        values,
      });
    }
  }
  return { rows: raw.length, records, errors };
}

/** Adds an `UNKNOWN_REFERENCE` error for each reference no record answers to (each spec reference asked once). */
export async function checkReferences(
  spec: BulkRecordSpec,
  records: readonly ValidRecord[],
  request: { db: Queryable; context: object },
): Promise<BulkRowError[]> {
  const errors: BulkRowError[] = [];
  const inFile = new Set(records.map((record) => record.id));
  for (const reference of spec.references ?? []) {
    const idsOf = (record: ValidRecord): string[] => {
      const value = record.values[reference.field];
      return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
    };
    const wanted = [...new Set(records.flatMap(idsOf))].filter((id) => !(reference.inFile && inFile.has(id)));
    const known = new Set(wanted.length > 0 ? await reference.known(wanted, request) : []);
    for (const record of records) {
      for (const id of idsOf(record)) {
        if (reference.inFile && inFile.has(id)) continue;
        if (!known.has(id)) {
          errors.push({
            row: record.row,
            field: reference.field,
            code: 'UNKNOWN_REFERENCE',
            message: `no ${reference.entity} has the id ${id}${reference.inFile ? ', in the store or in this file' : ''}`,
          });
        }
      }
    }
  }
  return errors;
}
