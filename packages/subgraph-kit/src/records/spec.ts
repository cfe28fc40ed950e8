/**
 * One record spec per entity: each field with its rules (required, type, length, enum values,
 * pattern, reference to another record) and the column that stores it, written once. Everything
 * else derives from it: the create and update input checks (input.ts), the column list and row
 * mapping (columns.ts), the bulk import and export spec (bulk.ts), and the test that holds it to
 * the SDL and the migrations (conformance.ts). The SDL and the migrations stay the sources they
 * are; the spec says what an office accepts, they say what the graph and the store can hold.
 */

/** A record's id, and an id it names: lower-case letters and digits joined by single hyphens. */
export const ID_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const ID_MAX = 64;

/** The ids a field names: records of another office (asked through its entity lookup) or of this one's store. */
export type Reference = PeerReference | LocalReference;

export interface PeerReference {
  /** The office (subgraph) that owns the records, e.g. `partners`. */
  office: string;
  /** Their GraphQL type, e.g. `Partner`. */
  entity: string;
  /** How a message names one, e.g. `partner`. */
  noun: string;
  /** The fields the rules ask of each one (default `id archived`). */
  selection?: string;
}

export interface LocalReference {
  /** The table of this office's schema that holds them, and its column the ids are in. */
  table: string;
  column: string;
  /** For messages, e.g. `agency`. */
  entity: string;
  noun: string;
}

/** What a rule that needs more than its field's own value reads: any field of the record, by its dotted name. */
export type RecordReader = (field: string) => unknown;

interface CommonRules {
  /**
   * Must be given: a create without it is refused, an update cannot set it to null, a file's row
   * needs it. Optional otherwise: absent it takes `default` (if any) or null.
   */
  required?: boolean;
  /** False: not in the update input (fixed at create, or changed by mutations of its own). */
  update?: false;
  /**
   * A rule that needs the rest of the record, run after the field's own rules (create, update
   * and import): what is wrong, or undefined. The value is null when the field is absent.
   */
  check?: (value: unknown, record: RecordReader) => string | undefined;
}

/**
 * Where a field is stored: a column of the entity's table. A record that is not stored in a table
 * of its own (a partner's feed) leaves it out.
 */
interface Stored {
  column?: string;
}

export interface TextRule extends CommonRules, Stored {
  kind: 'text';
  /** Length after trimming (default 1 to 200). */
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** What the pattern means, for messages ("an abbreviation, or an abbreviation and (its scope)"). */
  patternHint?: string;
  default?: string;
  /** The texts must name existing records (a local table, or another office). */
  references?: Reference;
}

/** An id (`ID_PATTERN`, at most `ID_MAX` characters), usually one that names a record. */
export interface IdRule extends CommonRules, Stored {
  kind: 'id';
  references?: Reference;
}

export interface IntegerRule extends CommonRules, Stored {
  kind: 'integer';
  min?: number;
  max?: number;
  default?: number;
}

export interface BooleanRule extends CommonRules, Stored {
  kind: 'boolean';
  default?: boolean;
}

export interface EnumRule extends CommonRules, Stored {
  kind: 'enum';
  /** The values accepted (the SDL's enum may hold more, e.g. seeded placeholders). */
  values: readonly string[];
  default?: string;
}

/** A field held in one column. */
export type ColumnRule = TextRule | IdRule | IntegerRule | BooleanRule | EnumRule;

/** Several fields read and written together: an object in the input (`source`), dotted names in a file (`source.document`). */
export interface GroupRule extends CommonRules {
  kind: 'group';
  fields: Readonly<Record<string, ColumnRule>>;
}

/** An item of a list: an id, a text, or a record of its own (an agency and the part of the sector it leads). */
export type ListItem =
  | { kind: 'id'; references?: Reference }
  | { kind: 'text'; max?: number; pattern?: RegExp; patternHint?: string; references?: Reference }
  | RecordItem;

export interface RecordItem {
  kind: 'record';
  /** Its fields, each stored in a column of the list's child table. */
  fields: Readonly<Record<string, ColumnRule>>;
  /** The field no two items may share. */
  key?: string;
}

/** The child table a list is kept in, one row per item. */
export interface ChildTable {
  /** A table of the record's schema. */
  table: string;
  /** Its column holding the record's id. */
  parent: string;
  /** Its column holding an id or text item (a record item's fields name their own columns). */
  column?: string;
  /**
   * Its column holding each item's place (1, 2, ...): the order is part of the value. Without one
   * the list is a set, read back sorted.
   */
  position?: string;
}

/**
 * Several values. None of the ids or texts twice. Kept in a child table (`table`), or in an array
 * column of the entity's table (`column`, order kept unless `ordered: false`).
 */
export interface ListRule extends CommonRules {
  kind: 'list';
  item: ListItem;
  maxItems?: number;
  table?: ChildTable;
  column?: string;
  ordered?: boolean;
}

export type FieldRule = ColumnRule | GroupRule | ListRule;

export type RecordFields = Readonly<Record<string, FieldRule>>;

export interface RecordSpec {
  /** The GraphQL type and the audit log's entity type, e.g. `Partner`. */
  entityType: string;
  /**
   * The PostgreSQL schema and table that store it (with `id text` and `version int` columns,
   * writes/), unless the records are not stored by this office.
   */
  schema?: string;
  table?: string;
  /** False: the record has no id of its own (a dependency between two sectors). */
  id?: false;
  /** In the order of a file's columns (bulk) and of the checks. */
  fields: RecordFields;
}

/** Declares a spec, keeping its literal types: the values' TypeScript types derive from it (`RecordValues`). */
export function defineRecord<const Spec extends RecordSpec>(spec: Spec): Spec {
  return spec;
}

/**
 * The `source` every office's record carries (`source_document`, `source_section`,
 * `source_basis`). Its basis must be a fact: placeholders are seeded data, never entered.
 */
export const SOURCE_FIELD = {
  kind: 'group',
  required: true,
  fields: {
    document: { kind: 'text', column: 'source_document', required: true, max: 300 },
    section: { kind: 'text', column: 'source_section', required: true, max: 300 },
    basis: { kind: 'enum', column: 'source_basis', required: true, values: ['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE'] },
  },
} as const satisfies GroupRule;

/** Whether a field may hold null: neither required nor defaulted, and not a list (an absent list is empty). */
export function isNullable(field: FieldRule): boolean {
  return !field.required && field.kind !== 'list' && !('default' in field && field.default !== undefined);
}

/** A list kept in a child table, not in the entity's own table. */
export function isChildList(field: FieldRule): field is ListRule & { table: ChildTable } {
  return field.kind === 'list' && field.table !== undefined;
}

/** A field and its dotted name, a group's fields one by one (`source.document`), with whether they must be given. */
export interface FlatField {
  name: string;
  field: ColumnRule | ListRule;
  /** Required, and so is the group it is in. */
  required: boolean;
}

export function flatFields(fields: RecordFields): FlatField[] {
  return Object.entries(fields).flatMap(([name, field]): FlatField[] =>
    field.kind === 'group'
      ? Object.entries(field.fields).map(([inner, child]) => ({
          name: `${name}.${inner}`,
          field: child,
          required: field.required === true && child.required === true,
        }))
      : [{ name, field, required: field.required === true }],
  );
}

/** Every field that names other records, by its dotted name (`origin.namedById`), with its reference. */
export function recordReferences(spec: RecordSpec): { field: string; reference: Reference }[] {
  return flatFields(spec.fields).flatMap(({ name, field }) => {
    const reference = referenceOf(field.kind === 'list' ? field.item : field);
    return reference ? [{ field: name, reference }] : [];
  });
}

function referenceOf(field: ColumnRule | ListItem): Reference | undefined {
  return field.kind === 'id' || field.kind === 'text' ? field.references : undefined;
}

/** The spec's table, for the functions that need one. */
export function storeOf(spec: RecordSpec): { schema: string; table: string } {
  if (spec.schema === undefined || spec.table === undefined) {
    throw new Error(`${spec.entityType} record spec: no schema and table, so it has no columns to read or write`);
  }
  return { schema: spec.schema, table: spec.table };
}

/** A stored field's column, for the functions that need one. */
export function columnOf(spec: RecordSpec, name: string, field: { column?: string }): string {
  if (field.column === undefined) throw new Error(`${spec.entityType} record spec: ${name} has no column`);
  return field.column;
}

// The TypeScript types of a spec's values.

type ItemValue<Item> = Item extends { kind: 'record'; fields: infer Fields } ? RecordValues<Fields> : string;

type FieldValue<Field> = Field extends { kind: 'text' | 'id' }
  ? string
  : Field extends { kind: 'integer' }
    ? number
    : Field extends { kind: 'boolean' }
      ? boolean
      : Field extends { kind: 'enum'; values: readonly (infer Value)[] }
        ? Value
        : Field extends { kind: 'group'; fields: infer Fields }
          ? RecordValues<Fields>
          : Field extends { kind: 'list'; item: infer Item }
            ? ItemValue<Item>[]
            : never;

/** Null when the field may be absent (see `isNullable`). */
type Absent<Field> = Field extends { required: true }
  ? never
  : Field extends { default: string | number | boolean }
    ? never
    : Field extends { kind: 'list' }
      ? never
      : null;

/** A record's checked values, field by field: what a create gives, and what a row reads. */
export type RecordValues<Fields> = {
  -readonly [Name in keyof Fields]: FieldValue<Fields[Name]> | Absent<Fields[Name]>;
};

/** A create's checked values: the id and every field. */
export type CreateValues<Spec extends RecordSpec> = { id: string } & RecordValues<Spec['fields']>;

/** An update's checked values: the fields given, each one a field an update may change. */
export type UpdateValues<Spec extends RecordSpec> = {
  -readonly [Name in keyof Spec['fields'] as Spec['fields'][Name] extends { update: false } ? never : Name]?:
    FieldValue<Spec['fields'][Name]> | Absent<Spec['fields'][Name]>;
};

/** What a row of the entity's table reads (`readRecord`): every field but the lists kept in child tables. */
export type RecordRead<Spec extends RecordSpec> = {
  -readonly [Name in keyof Spec['fields'] as Spec['fields'][Name] extends { table: object } ? never : Name]:
    FieldValue<Spec['fields'][Name]> | Absent<Spec['fields'][Name]>;
};
