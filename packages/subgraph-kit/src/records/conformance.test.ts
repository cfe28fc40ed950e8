import { describeEachStore } from '@cip/testing/subgraphs';
import { parse } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../database.js';
import { recordSpecProblems } from './conformance.js';
import { defineRecord, type RecordSpec } from './spec.js';

const SCHEMA = 'kit_records_conformance';

const tablesSql = `CREATE SCHEMA ${SCHEMA};
  CREATE TABLE ${SCHEMA}.owner (id text PRIMARY KEY);
  CREATE TABLE ${SCHEMA}.box (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name varchar(10) NOT NULL,
    label text CHECK (length(label) <= 5),
    size int CHECK (size BETWEEN 1 AND 9),
    colour text NOT NULL CHECK (colour IN ('RED', 'GREEN')),
    open boolean NOT NULL DEFAULT false,
    version int NOT NULL DEFAULT 1
  );
  CREATE TABLE ${SCHEMA}.box_owner (
    box_id text NOT NULL,
    owner_id text NOT NULL CHECK (owner_id ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
  );`;

const sdl = parse(`
  input CreateBoxInput {
    id: ID!
    name: String!
    label: String
    size: Int
    colour: Colour!
    open: Boolean = false
    ownerIds: [ID!] = []
  }
  input UpdateBoxInput {
    name: String
    label: String
    size: Int
    colour: Colour
    open: Boolean
  }
  enum Colour {
    RED
    GREEN
    BLUE
  }
`);

const box = defineRecord({
  entityType: 'Box',
  schema: SCHEMA,
  table: 'box',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 10 },
    label: { kind: 'text', column: 'label', max: 5 },
    size: { kind: 'integer', column: 'size', min: 1, max: 9 },
    colour: { kind: 'enum', column: 'colour', required: true, values: ['RED', 'GREEN'] },
    open: { kind: 'boolean', column: 'open', default: false },
    ownerIds: {
      kind: 'list',
      update: false,
      item: { kind: 'id', references: { table: 'owner', column: 'id', entity: 'Owner', noun: 'owner' } },
      table: { table: 'box_owner', parent: 'box_id', column: 'owner_id' },
    },
  },
});

describeEachStore('recordSpecProblems on $kind', (store) => {
  let db: Database;
  const problemsOf = (spec: RecordSpec) =>
    recordSpecProblems(spec, { sdl, createInput: 'CreateBoxInput', updateInput: 'UpdateBoxInput', db });
  beforeAll(async () => {
    db = await store.open();
    await db.exec(tablesSql);
  });
  afterAll(() => db.close());

  it('finds nothing when the spec, the SDL and the store agree', async () => {
    expect(await problemsOf(box)).toEqual([]);
  });

  it('names each rule that disagrees with the store: lengths, ranges, values, NOT NULL, columns', async () => {
    const { name, label, size, colour, open, ownerIds } = box.fields;
    const problems = await problemsOf({
      ...box,
      fields: {
        name: { ...name, max: 12 },
        label: { ...label, max: 6 },
        size: { ...size, max: 8 },
        colour: { ...colour, values: ['RED', 'BLUE'] },
        open: { ...open, column: 'is_open' },
        ownerIds: { ...ownerIds, table: { ...ownerIds.table, column: 'owner' } },
      },
    });
    expect(problems).toEqual([
      'Box.name: at most 12 characters, but box.name holds 10',
      'Box.label: at most 6 characters, but box.label holds 5',
      'Box.size: max 8, but box.size checks <= 9',
      'Box.colour: values BLUE, RED, but box.colour holds GREEN, RED',
      'Box.open: no column box.is_open',
      'Box.ownerIds: no column box_owner.owner',
    ]);
  });

  it('names each way the spec and the SDL’s inputs disagree, both ways', async () => {
    const { name, label, open, colour, ownerIds } = box.fields;
    const problems = await problemsOf({
      ...box,
      fields: {
        name: { ...name, required: false },
        label,
        weight: { kind: 'integer', column: 'size' },
        colour: { ...colour, values: ['RED', 'PINK'] },
        open: { ...open, default: true },
        ownerIds: { kind: 'list', item: ownerIds.item, table: ownerIds.table },
      },
    });
    expect(problems.filter((problem) => !problem.startsWith('Box.'))).toEqual([
      'Box (CreateBoxInput) name: optional, but the SDL has name: String!',
      'Box (CreateBoxInput) weight: not in CreateBoxInput',
      'Box (CreateBoxInput) colour: values PINK that the enum Colour does not have',
      'Box (CreateBoxInput) open: default true, but the SDL gives false',
      'Box (CreateBoxInput) CreateBoxInput.size: not a field of the spec',
      'Box (UpdateBoxInput) weight: not in UpdateBoxInput',
      'Box (UpdateBoxInput) colour: values PINK that the enum Colour does not have',
      'Box (UpdateBoxInput) ownerIds: not in UpdateBoxInput',
      'Box (UpdateBoxInput) UpdateBoxInput.size: not a field of the spec',
    ]);
  });

  it('holds a field that may be absent to a column that takes null, and the other way round', async () => {
    const { label } = box.fields;
    const problems = await recordSpecProblems(
      { ...box, fields: { label: { ...label, required: true }, open: { kind: 'boolean', column: 'open' } } },
      { sdl, db },
    );
    expect(problems).toEqual([
      'Box.label: always has a value, but box.label takes null',
      'Box.open: may be absent, but box.open is NOT NULL',
    ]);
  });

  it('names a restricted field in the spec, and a column the audit log’s field rules cannot name', async () => {
    await db.exec(`CREATE TABLE ${SCHEMA}.noted_box (id text PRIMARY KEY, label text, secret_notes text,
      notes_kept text, version int NOT NULL DEFAULT 1, archived_at timestamptz)`);
    const typed = parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@requiresScopes"])
      type Query { box(id: ID!): Box }
      type Box @key(fields: "id") {
        id: ID!
        label: String @requiresScopes(scopes: [["box:restricted"]])
        secretNotes: String @requiresScopes(scopes: [["box:restricted"]])
      }`);
    const noted = defineRecord({
      entityType: 'Box',
      schema: SCHEMA,
      table: 'noted_box',
      fields: { label: { kind: 'text', column: 'label' } },
    });
    expect(await recordSpecProblems(noted, { sdl: typed, db })).toEqual([
      'Box: label is restricted in the SDL, but every field of the spec is in its export file',
      "Box: column noted_box.notes_kept is no field's of the spec or of type Box: the audit log's field rules cannot name it",
    ]);
  });
});
