import { z } from 'zod';
import {
  ID_MAX,
  ID_PATTERN,
  type ColumnRule,
  type FieldRule,
  type ListItem,
  type RecordFields,
  type RecordSpec,
  type RecordValues,
} from './spec.js';

/**
 * A record spec as a zod schema, for records that arrive whole from outside (a partner's feed):
 * the same rules as an office's own input (texts trimmed, lengths, ranges, patterns, enum values,
 * no list item twice, each field's `check`), an absent optional field its default or null.
 */

const ID_MESSAGE = 'expected an id: lower-case words joined by hyphens';

function columnSchema(field: ColumnRule | Exclude<ListItem, { kind: 'record' }>): z.ZodType {
  switch (field.kind) {
    case 'text': {
      const text = z
        .string()
        .trim()
        .min('min' in field ? (field.min ?? 1) : 1)
        .max(field.max ?? 200);
      return field.pattern ? text.regex(field.pattern, field.patternHint && `expected ${field.patternHint}`) : text;
    }
    case 'id':
      return z.string().max(ID_MAX).regex(ID_PATTERN, ID_MESSAGE);
    case 'integer': {
      const integer = z.number().int();
      const atLeast = field.min === undefined ? integer : integer.min(field.min);
      return field.max === undefined ? atLeast : atLeast.max(field.max);
    }
    case 'boolean':
      return z.boolean();
    case 'enum':
      return z.enum(field.values as [string, ...string[]]);
  }
}

function itemSchema(item: ListItem): z.ZodType {
  return item.kind === 'record' ? recordOf(item.fields) : columnSchema(item);
}

function fieldSchema(field: FieldRule): z.ZodType {
  if (field.kind === 'list') {
    const items = z.array(itemSchema(field.item));
    const bounded = field.maxItems === undefined ? items : items.max(field.maxItems);
    const key = field.item.kind === 'record' ? field.item.key : undefined;
    const unique = bounded.refine(
      (list) => {
        const keys = list.map((item) => (key === undefined ? item : (item as Record<string, unknown>)[key]));
        return new Set(keys).size === keys.length;
      },
      { message: 'names an item twice' },
    );
    return field.required ? unique : unique.nullish().transform((list) => list ?? []);
  }
  const schema = field.kind === 'group' ? z.object(shapeOf(field.fields)) : columnSchema(field);
  if (field.required) return schema;
  const fallback = 'default' in field && field.default !== undefined ? field.default : null;
  return schema.nullish().transform((value) => value ?? fallback);
}

function shapeOf(fields: RecordFields): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldSchema(field)]));
}

/** An object of these fields, each field's `check` run on it (a group's fields by their dotted names). */
function recordOf(fields: RecordFields, shape: Record<string, z.ZodType> = {}): z.ZodType {
  return z.object({ ...shape, ...shapeOf(fields) }).superRefine((record, context) => {
    const read = (name: string) =>
      name.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown> | null)?.[part], record) ??
      null;
    const check = (name: string, field: FieldRule) => {
      const message = field.check?.(read(name), read);
      if (message !== undefined) context.addIssue({ code: 'custom', message, path: name.split('.') });
    };
    for (const [name, field] of Object.entries(fields)) {
      if (field.kind === 'group')
        for (const [inner, child] of Object.entries(field.fields)) check(`${name}.${inner}`, child);
      check(name, field);
    }
  });
}

/** The schema of one whole record, its id included (unless it has none): parsed, it is the record's checked values. */
export function recordSchema<Spec extends RecordSpec>(
  spec: Spec,
): z.ZodType<(Spec['id'] extends false ? unknown : { id: string }) & RecordValues<Spec['fields']>> {
  const id: Record<string, z.ZodType> = spec.id === false ? {} : { id: columnSchema({ kind: 'id' }) };
  return recordOf(spec.fields, id) as z.ZodType<
    (Spec['id'] extends false ? unknown : { id: string }) & RecordValues<Spec['fields']>
  >;
}
