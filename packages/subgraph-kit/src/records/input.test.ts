import { describe, expect, it } from 'vitest';
import { checkArchiveInput, checkCreateInput, checkRecordFields, checkUpdateInput } from './input.js';
import { InputChecks } from '../writes/validation.js';
import { defineRecord, SOURCE_FIELD } from './spec.js';

const box = defineRecord({
  entityType: 'Box',
  schema: 'kit_records',
  table: 'box',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 10 },
    label: { kind: 'text', column: 'label', max: 5 },
    size: { kind: 'integer', column: 'size', min: 1, max: 9 },
    open: { kind: 'boolean', column: 'open', default: false },
    colour: { kind: 'enum', column: 'colour', required: true, values: ['RED', 'GREEN'] },
    made: {
      kind: 'group',
      fields: {
        year: { kind: 'integer', column: 'made_year', required: true, min: 1900, max: 2100 },
        month: {
          kind: 'integer',
          column: 'made_month',
          min: 1,
          max: 12,
          check: (month, record) =>
            month !== null && record('made.year') === null ? 'a month needs its year' : undefined,
        },
      },
    },
    ownerIds: {
      kind: 'list',
      update: false,
      item: { kind: 'id' },
      table: { table: 'box_owner', parent: 'box_id', column: 'owner_id' },
      check: (ids, record) =>
        (ids as string[]).length > 1 && record('colour') === 'RED' ? 'a red box has one owner' : undefined,
    },
    parts: {
      kind: 'list',
      item: {
        kind: 'record',
        key: 'code',
        fields: {
          code: { kind: 'text', column: 'code', required: true, max: 4 },
          note: { kind: 'text', column: 'note', max: 8 },
        },
      },
      table: { table: 'box_part', parent: 'box_id', position: 'position' },
    },
    source: { ...SOURCE_FIELD, update: false },
  },
});

const SOURCE = { document: ' Register ', section: 'Boxes', basis: 'STATED_IN_TEXT' };

/** The issues a throwing check reports: its code, the first field, and every `{ field, message }`. */
function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    const { extensions } = error as { extensions: { code: string; field: string; issues: unknown[] } };
    return { code: extensions.code, field: extensions.field, issues: extensions.issues };
  }
  throw new Error('expected the input to be refused');
}

describe('checkCreateInput', () => {
  it('returns the checked values: texts trimmed, defaults and nulls for what is absent, groups and lists as given', () => {
    const created = checkCreateInput(
      box,
      { id: 'blue-box', name: ' Blue ', colour: 'GREEN', source: SOURCE, ownerIds: ['ann'] },
      'key-1',
    );
    expect(created).toEqual({
      id: 'blue-box',
      name: 'Blue',
      label: null,
      size: null,
      open: false,
      colour: 'GREEN',
      made: null,
      ownerIds: ['ann'],
      parts: [],
      source: { document: 'Register', section: 'Boxes', basis: 'STATED_IN_TEXT' },
    });
  });

  it('names every bad field, in the order of the spec, each at its path', () => {
    const refused = issuesOf(() =>
      checkCreateInput(
        box,
        {
          id: 'Bad Id',
          name: '  ',
          label: 'too long',
          size: 10,
          colour: 'RED',
          made: { year: 1850, month: 13 },
          ownerIds: ['ann', 'Bob', 'ann'],
          parts: [{ code: 'A' }, { code: 'ABCDE', note: 'x' }, { code: ' A ' }],
          source: { ...SOURCE, basis: 'FICTIONAL_PLACEHOLDER' },
        },
        '',
      ),
    );
    expect(refused).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'idempotencyKey',
      issues: [
        { field: 'idempotencyKey', message: 'must not be empty' },
        { field: 'input.id', message: expect.stringMatching(/^must be lower-case letters and digits/) },
        { field: 'input.name', message: 'must not be empty' },
        { field: 'input.label', message: 'must be 1 to 5 characters' },
        { field: 'input.size', message: 'must be 1 to 9' },
        { field: 'input.made.year', message: 'must be 1900 to 2100' },
        { field: 'input.made.month', message: 'must be 1 to 12' },
        { field: 'input.ownerIds.1', message: expect.stringMatching(/^must be lower-case letters and digits/) },
        { field: 'input.ownerIds.2', message: 'ann is named twice' },
        { field: 'input.ownerIds', message: 'a red box has one owner' },
        { field: 'input.parts.1.code', message: 'must be 1 to 4 characters' },
        { field: 'input.parts.2.code', message: 'A is named twice' },
        { field: 'input.source.basis', message: 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE' },
      ],
    });
  });

  it('refuses an enum value the spec does not take, listing those it does', () => {
    expect(
      issuesOf(() => checkCreateInput(box, { id: 'b', name: 'B', colour: 'BLUE', source: SOURCE }, null)).issues,
    ).toEqual([{ field: 'input.colour', message: 'must be RED or GREEN' }]);
  });
});

describe('checkUpdateInput', () => {
  it('checks only the fields given; a null clears an optional field, a null group clears all of it', () => {
    expect(checkUpdateInput(box, 3, { label: null, made: null, parts: [{ code: 'A', note: null }] })).toEqual({
      label: null,
      made: null,
      parts: [{ code: 'A', note: null }],
    });
  });

  it('refuses a null where a value must stay, an empty change and a bad version, naming each', () => {
    expect(issuesOf(() => checkUpdateInput(box, 0, { name: null, open: null, size: 0 })).issues).toEqual([
      { field: 'expectedVersion', message: 'must be the positive version you read' },
      { field: 'input.name', message: 'cannot be null: leave the field out to keep its value' },
      { field: 'input.open', message: 'cannot be null: leave the field out to keep its value' },
      { field: 'input.size', message: 'must be 1 to 9' },
    ]);
    expect(issuesOf(() => checkUpdateInput(box, 1, {}))).toMatchObject({ field: 'input' });
  });

  it('will not change a field the spec fixes at create', () => {
    expect(() => checkUpdateInput(box, 1, { ownerIds: [] })).toThrow(/an update cannot change ownerIds/);
  });
});

describe('checkRecordFields and checkArchiveInput', () => {
  it('checks a record inside another mutation into the caller’s checks', () => {
    const checks = new InputChecks();
    const values = checkRecordFields(box, { name: 'B', colour: 'RED', source: { ...SOURCE, section: '' } }, checks);
    expect(values).toMatchObject({ name: 'B', colour: 'RED' });
    expect(checks.issues).toEqual([{ field: 'input.source.section', message: 'must not be empty' }]);
  });

  it('refuses a version that is not a positive integer', () => {
    expect(issuesOf(() => checkArchiveInput(0))).toMatchObject({ field: 'expectedVersion' });
    expect(() => checkArchiveInput(2)).not.toThrow();
  });
});
