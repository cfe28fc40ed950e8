import { describe, expect, it } from 'vitest';
import { readRecord, recordColumns, recordToColumns } from './columns.js';
import { defineRecord, SOURCE_FIELD } from './spec.js';

const box = defineRecord({
  entityType: 'Box',
  schema: 'kit_records',
  table: 'box',
  fields: {
    name: { kind: 'text', column: 'name', required: true },
    made: {
      kind: 'group',
      fields: {
        year: { kind: 'integer', column: 'made_year', required: true },
        month: { kind: 'integer', column: 'made_month' },
      },
    },
    tags: { kind: 'list', item: { kind: 'text' }, column: 'tags' },
    ownerIds: {
      kind: 'list',
      item: { kind: 'id' },
      table: { table: 'box_owner', parent: 'box_id', column: 'owner_id' },
    },
    source: SOURCE_FIELD,
  },
});

describe('recordColumns', () => {
  it('selects each field stored in the table under its dotted name, and no list kept in a child table', () => {
    expect(recordColumns(box, 'b')).toBe(
      [
        '"b"."name" AS "name"',
        '"b"."made_year" AS "made.year"',
        '"b"."made_month" AS "made.month"',
        '"b"."tags" AS "tags"',
        '"b"."source_document" AS "source.document"',
        '"b"."source_section" AS "source.section"',
        '"b"."source_basis" AS "source.basis"',
      ].join(', '),
    );
  });

  it('refuses a spec with no table', () => {
    expect(() => recordColumns({ entityType: 'Feed', fields: {} }, 'f')).toThrow(/no schema and table/);
  });
});

describe('readRecord', () => {
  const row = {
    id: 'blue',
    name: 'Blue',
    'made.year': 2005,
    'made.month': null,
    tags: ['a'],
    'source.document': 'Register',
    'source.section': 'Boxes',
    'source.basis': 'STATED_IN_TEXT',
    version: 2,
  };

  it('nests each group, and keeps the row’s other columns as they are', () => {
    expect(readRecord(box, row)).toEqual({
      id: 'blue',
      version: 2,
      name: 'Blue',
      made: { year: 2005, month: null },
      tags: ['a'],
      source: { document: 'Register', section: 'Boxes', basis: 'STATED_IN_TEXT' },
    });
  });

  it('reads an optional group with no value at all as null', () => {
    expect(readRecord(box, { ...row, 'made.year': null }).made).toBeNull();
  });
});

describe('recordToColumns', () => {
  it('gives a column per field given, a group’s one by one, leaving child-table lists to their writer', () => {
    expect(
      recordToColumns(box, {
        name: 'Blue',
        made: { year: 2005, month: null },
        ownerIds: ['ann'],
        source: { document: 'Register', section: 'Boxes', basis: 'STATED_IN_TEXT' },
      }),
    ).toEqual({
      name: 'Blue',
      made_year: 2005,
      made_month: null,
      source_document: 'Register',
      source_section: 'Boxes',
      source_basis: 'STATED_IN_TEXT',
    });
  });

  it('clears every column of a null group, and leaves out what is not given', () => {
    expect(recordToColumns(box, { made: null })).toEqual({ made_year: null, made_month: null });
  });
});
