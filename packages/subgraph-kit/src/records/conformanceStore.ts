import type { Queryable } from '../database.js';
import { ID_MAX, ID_PATTERN, isNullable, storeOf, type ColumnRule, type RecordSpec } from './spec.js';

/**
 * A record spec against the migrated store: each field a column of that name and of a matching
 * type, NOT NULL where the field cannot be null, with the length, range, pattern and values the
 * column's definition and check constraints give, where they give one (conformance.ts).
 */

interface Column {
  nullable: boolean;
  type: string;
  maxLength: number | null;
}

/** What the store says of one table's columns: each column, and the text of the table's check constraints. */
interface Table {
  columns: Map<string, Column>;
  checks: string[];
}

const TEXT_TYPES = new Set(['text', 'character varying', 'character']);
const INTEGER_TYPES = new Set(['integer', 'smallint', 'bigint']);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first match of `pattern` (with `COLUMN` standing for the column, cast or not) in the table's checks. */
function checkOn(table: Table, column: string, pattern: string): RegExpMatchArray | undefined {
  const expression = new RegExp(pattern.replace('COLUMN', `(?<![\\w.])\\(?${escape(column)}\\)?(?:::\\w+)?`));
  for (const check of table.checks) {
    const match = check.match(expression);
    if (match) return match;
  }
  return undefined;
}

const quoted = (list: string) =>
  [...list.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1]!.replaceAll("''", "'"));

async function readStore(db: Queryable, schema: string): Promise<Map<string, Table>> {
  const tables = new Map<string, Table>();
  const tableOf = (name: string) => {
    const table: Table = tables.get(name) ?? { columns: new Map(), checks: [] };
    tables.set(name, table);
    return table;
  };
  const columns = await db.query<{
    table: string;
    name: string;
    nullable: boolean;
    type: string;
    maxLength: number | null;
  }>(
    `SELECT table_name AS "table", column_name AS name, is_nullable = 'YES' AS nullable, data_type AS type,
       character_maximum_length::int AS "maxLength"
     FROM information_schema.columns WHERE table_schema = $1`,
    [schema],
  );
  for (const { table, name, ...column } of columns) tableOf(table).columns.set(name, column);
  const checks = await db.query<{ table: string; definition: string }>(
    `SELECT c.relname AS "table", pg_get_constraintdef(k.oid) AS definition
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'c' AND n.nspname = $1`,
    [schema],
  );
  for (const { table, definition } of checks) tableOf(table).checks.push(definition);
  return tables;
}

/** A field's rules against its column: type, NOT NULL, and the length, range, pattern and values the store checks. */
function checkColumn(
  problem: (message: string) => void,
  table: Table,
  where: string,
  field: ColumnRule | { kind: 'array' },
  nullable: boolean,
  column: string,
): void {
  const stored = table.columns.get(column);
  if (!stored) return problem(`no column ${where}.${column}`);
  const at = `${where}.${column}`;
  const textual = field.kind === 'text' || field.kind === 'id' || field.kind === 'enum';
  const typeAgrees = textual
    ? TEXT_TYPES.has(stored.type)
    : field.kind === 'integer'
      ? INTEGER_TYPES.has(stored.type)
      : field.kind === 'boolean'
        ? stored.type === 'boolean'
        : stored.type === 'ARRAY';
  if (!typeAgrees) problem(`${at} is ${stored.type}, not a column for a ${field.kind} field`);
  if (nullable && !stored.nullable) problem(`may be absent, but ${at} is NOT NULL`);
  if (!nullable && stored.nullable) problem(`always has a value, but ${at} takes null`);
  if (field.kind === 'text' || field.kind === 'id') {
    const max = field.kind === 'id' ? ID_MAX : (field.max ?? 200);
    const lengthCheck = checkOn(table, column, '(?:char_)?length\\(COLUMN\\) <= (\\d+)')?.[1];
    const limit = stored.maxLength ?? (lengthCheck === undefined ? null : Number(lengthCheck));
    if (limit !== null && limit !== max) problem(`at most ${max} characters, but ${at} holds ${limit}`);
    const pattern = field.kind === 'id' ? ID_PATTERN : field.pattern;
    const storedPattern = checkOn(table, column, "COLUMN ~ ('(?:[^']|'')*')")?.[1];
    if (storedPattern !== undefined && quoted(storedPattern)[0] !== pattern?.source) {
      problem(
        `${at} must match ${quoted(storedPattern)[0]}, the spec ${pattern ? `/${pattern.source}/` : 'no pattern'}`,
      );
    }
  }
  if (field.kind === 'integer') {
    for (const [bound, operator, value] of [
      ['min', '>=', field.min],
      ['max', '<=', field.max],
    ] as const) {
      const stored = checkOn(table, column, `COLUMN ${operator} \\(?(-?\\d+)`)?.[1];
      if (stored !== undefined && Number(stored) !== value) {
        problem(`${bound} ${value ?? 'none'}, but ${at} checks ${operator} ${stored}`);
      }
    }
  }
  if (field.kind === 'enum') {
    const list = checkOn(table, column, 'COLUMN = ANY \\(\\(?ARRAY\\[([^\\]]*)\\]')?.[1];
    if (list !== undefined) {
      const storedValues = quoted(list).sort();
      const values = [...field.values].sort();
      if (storedValues.join() !== values.join()) {
        problem(`values ${values.join(', ')}, but ${at} holds ${storedValues.join(', ')}`);
      }
    }
  }
}

export async function storeProblems(spec: RecordSpec, db: Queryable, problems: string[]): Promise<void> {
  checkStore(spec, await readStore(db, storeOf(spec).schema), problems);
}

function checkStore(spec: RecordSpec, tables: Map<string, Table>, problems: string[]): void {
  const { table: name } = storeOf(spec);
  const table = tables.get(name);
  if (!table) {
    problems.push(`${spec.entityType}: no table ${spec.schema}.${name}`);
    return;
  }
  const problemOf = (field: string) => (message: string) => problems.push(`${spec.entityType}.${field}: ${message}`);
  if (spec.id !== false) checkColumn(problemOf('id'), table, name, { kind: 'id', required: true }, false, 'id');
  const column = (field: string, rule: ColumnRule, nullable: boolean, inTable = table, where = name) => {
    if (rule.column === undefined) problemOf(field)('has no column');
    else checkColumn(problemOf(field), inTable, where, rule, nullable, rule.column);
    const reference = rule.kind === 'text' || rule.kind === 'id' ? rule.references : undefined;
    if (reference && 'table' in reference && !tables.get(reference.table)?.columns.has(reference.column)) {
      problemOf(field)(
        `names ${reference.noun} records in ${spec.schema}.${reference.table}.${reference.column}, which is no column`,
      );
    }
  };
  for (const [fieldName, field] of Object.entries(spec.fields)) {
    if (field.kind === 'group') {
      for (const [inner, child] of Object.entries(field.fields)) {
        column(`${fieldName}.${inner}`, child, isNullable(field) || isNullable(child));
      }
    } else if (field.kind !== 'list') {
      column(fieldName, field, isNullable(field));
    } else if (field.table) {
      const child = tables.get(field.table.table);
      const where = field.table.table;
      const problem = problemOf(fieldName);
      if (!child) {
        problem(`no table ${spec.schema}.${where}`);
        continue;
      }
      checkColumn(problem, child, where, { kind: 'id', required: true }, false, field.table.parent);
      if (field.table.position !== undefined) {
        checkColumn(problem, child, where, { kind: 'integer', required: true }, false, field.table.position);
      }
      const { item } = field;
      if (item.kind === 'record') {
        for (const [inner, rule] of Object.entries(item.fields)) {
          column(`${fieldName}.${inner}`, rule, isNullable(rule), child, where);
        }
      } else if (field.table.column === undefined) {
        problem(`names no column of ${where} for its items`);
      } else {
        column(fieldName, { ...item, required: true, column: field.table.column }, false, child, where);
      }
    } else if (field.column === undefined) {
      problemOf(fieldName)('is stored neither in a column nor in a child table');
    } else {
      checkColumn(problemOf(fieldName), table, name, { kind: 'array' }, false, field.column);
    }
  }
}
