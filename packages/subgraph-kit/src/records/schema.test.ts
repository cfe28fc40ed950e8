import { describe, expect, it } from 'vitest';
import { recordSchema } from './schema.js';
import { defineRecord } from './spec.js';

// A partner's report as its feed sends it: no table of this office's own, so no columns.
const report = defineRecord({
  entityType: 'Report',
  fields: {
    title: { kind: 'text', required: true, max: 20 },
    pages: { kind: 'integer', min: 1 },
    public: { kind: 'boolean', default: true },
    kind: { kind: 'enum', required: true, values: ['NOTE', 'STUDY'] },
    dated: {
      kind: 'group',
      fields: {
        year: { kind: 'integer', required: true, min: 1900, max: 2100 },
        month: {
          kind: 'integer',
          min: 1,
          max: 12,
          check: (month, record) =>
            month === 2 && record('kind') === 'NOTE' ? 'no note is dated February' : undefined,
        },
      },
    },
    partnerIds: { kind: 'list', item: { kind: 'id' } },
  },
});

const schema = recordSchema(report);

describe('recordSchema', () => {
  it('parses a whole record into its checked values: texts trimmed, absent fields their default or null', () => {
    expect(schema.parse({ id: 'r-1', title: ' Grid ', kind: 'NOTE' })).toEqual({
      id: 'r-1',
      title: 'Grid',
      pages: null,
      public: true,
      kind: 'NOTE',
      dated: null,
      partnerIds: [],
    });
  });

  it('names each field that breaks a rule, a group’s by its path', () => {
    const result = schema.safeParse({
      id: 'Not An Id',
      title: '',
      pages: 0,
      kind: 'MEMO',
      dated: { year: 1850, month: 2 },
      partnerIds: ['canada', 'canada'],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([
      'id',
      'title',
      'pages',
      'kind',
      'dated.year',
      'partnerIds',
    ]);
  });

  it('runs each field’s own check on a record whose fields are valid', () => {
    const result = schema.safeParse({ id: 'r-2', title: 'Memo', kind: 'NOTE', dated: { year: 2006, month: 2 } });
    expect(result.error?.issues).toMatchObject([{ path: ['dated', 'month'], message: 'no note is dated February' }]);
  });
});
