import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './database.js';
import type { SubgraphModule } from './server.js';
import { findUnstorable, unstorableText } from './storableInput.js';

describe('unstorableText', () => {
  it.each(['', 'Canada', 'Côte d’Ivoire', '北大西洋', 'emoji 😀 (a surrogate pair)'])('accepts %j', (text) => {
    expect(unstorableText(text)).toBeUndefined();
  });

  it.each([
    ['\u0000', /NUL/],
    ['canada\u0000', /NUL/],
    ['\ud800', /lone UTF-16 surrogate/],
    ['a\udfffb', /lone UTF-16 surrogate/],
    ['\ude00\ud83d', /lone UTF-16 surrogate/],
  ])('refuses %j', (text, reason) => {
    expect(unstorableText(text)).toMatch(reason);
  });
});

describe('findUnstorable', () => {
  it('names the path from the argument to the first string that cannot be stored', () => {
    expect(findUnstorable('id', 'canada')).toBeUndefined();
    expect(findUnstorable('first', 20)).toBeUndefined();
    expect(findUnstorable('filter', undefined)).toBeUndefined();
    expect(findUnstorable('id', 'x\u0000')).toMatchObject({ path: 'id' });
    expect(findUnstorable('input', { name: 'ok', source: { document: 'd', section: '\u0000' } })).toMatchObject({
      path: 'input.source.section',
    });
    expect(findUnstorable('input', { tags: ['a', 'b\u0000', '\u0000'] })).toMatchObject({ path: 'input.tags[1]' });
    expect(findUnstorable('representations', [{ id: 'a' }, { '\u0000': 1 }])).toEqual({
      path: 'representations[1]',
      reason: expect.stringMatching(/^has a key that holds a NUL/) as string,
    });
  });

  it('walks a value nested deeper than the call stack would allow', () => {
    let deep: unknown = '\u0000';
    for (let level = 0; level < 100_000; level++) deep = [deep];
    expect(findUnstorable('representations', deep)?.reason).toMatch(/NUL/);
  });
});

/** A small office of its own: every kind of argument (id, filter, list, mutation input, key, entity lookup) reaches SQL. */
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query {
    thing(id: ID!): Thing
    things(filter: ThingFilter, first: Int = 20): [Thing!]!
  }
  type Mutation {
    createThing(input: CreateThingInput!, idempotencyKey: String): Thing!
  }
  input ThingFilter { name: String, ids: [ID!] }
  input CreateThingInput { id: ID!, name: String!, note: String = "none" }
  type Thing @key(fields: "id") { id: ID! name: String! }
`);

interface ThingsContext {
  db: Database;
}

const thing = async (db: Database, id: string) =>
  (await db.query('SELECT id, name FROM kit_storable.thing WHERE id = $1', [id]))[0] ?? null;

const resolvers = {
  Query: {
    thing: (_: unknown, { id }: { id: string }, { db }: ThingsContext) => thing(db, id),
    things: (_: unknown, { filter }: { filter?: { name?: string; ids?: string[] } }, { db }: ThingsContext) =>
      db.query(
        'SELECT id, name FROM kit_storable.thing WHERE ($1::text IS NULL OR name = $1) AND ($2::text[] IS NULL OR id = ANY($2))',
        [filter?.name ?? null, filter?.ids ?? null],
      ),
  },
  Mutation: {
    createThing: async (
      _: unknown,
      { input, idempotencyKey }: { input: { id: string; name: string; note: string }; idempotencyKey?: string },
      { db }: ThingsContext,
    ) =>
      (
        await db.query(
          'INSERT INTO kit_storable.thing (id, name, note, idempotency_key) VALUES ($1, $2, $3, $4) RETURNING id, name',
          [input.id, input.name, input.note, idempotencyKey ?? null],
        )
      )[0],
  },
  Thing: { __resolveReference: ({ id }: { id: string }, { db }: ThingsContext) => thing(db, id) },
};

describeEachStore('arguments the store cannot hold, on $kind', (store) => {
  let migrations: string;
  let subgraph: TestSubgraph<ThingsContext>;
  beforeAll(async () => {
    migrations = await mkdtemp(join(tmpdir(), 'kit-storable-'));
    await writeFile(
      join(migrations, '001_thing.sql'),
      `CREATE TABLE kit_storable.thing (id text PRIMARY KEY, name text NOT NULL, note text, idempotency_key text);
       INSERT INTO kit_storable.thing (id, name) VALUES ('alpha', 'Alpha');`,
    );
    const module: SubgraphModule<ThingsContext> = {
      name: 'things',
      storeSchema: 'kit_storable',
      typeDefs,
      resolvers,
      migrationsDirectory: pathToFileURL(`${migrations}/`),
      createContext: (db) => ({ db }),
    };
    subgraph = await buildTestSubgraph(module, store);
  });
  afterAll(async () => {
    await subgraph.close();
    await rm(migrations, { recursive: true, force: true });
  });

  it('the store itself refuses a NUL and cannot keep a lone surrogate: what the check stands in front of', async () => {
    await expect(subgraph.db.query('SELECT $1::text AS value', ['a\u0000'])).rejects.toThrow(/0x00/);
    const [kept] = await subgraph.db.query<{ value: string }>('SELECT $1::text AS value', ['a\ud800']);
    expect(kept!.value).not.toBe('a\ud800');
    await expect(subgraph.db.query('SELECT $1::jsonb AS value', [JSON.stringify({ a: '\ud800' })])).rejects.toThrow();
  });

  const refused: [string, string, Record<string, unknown> | undefined, string][] = [
    ['a literal id', '{ thing(id: "alpha\\u0000") { id } }', undefined, 'id'],
    ['an id in a variable', 'query ($id: ID!) { thing(id: $id) { id } }', { id: '\u0000' }, 'id'],
    ['a filter value', '{ things(filter: { name: "\\u0000" }) { id } }', undefined, 'filter.name'],
    [
      'a list item in a filter',
      'query ($ids: [ID!]) { things(filter: { ids: $ids }) { id } }',
      { ids: ['alpha', 'b\u0000'] },
      'filter.ids[1]',
    ],
    [
      'a mutation input',
      'mutation ($input: CreateThingInput!) { createThing(input: $input) { id } }',
      { input: { id: 'beta', name: 'Be\u0000ta' } },
      'input.name',
    ],
    [
      'a variable default',
      'mutation ($note: String = "\\u0000") { createThing(input: { id: "beta", name: "Beta", note: $note }) { id } }',
      undefined,
      'input.note',
    ],
    [
      'an idempotency key',
      'mutation ($key: String) { createThing(input: { id: "beta", name: "Beta" }, idempotencyKey: $key) { id } }',
      { key: 'retry-\u0000' },
      'idempotencyKey',
    ],
    ['a lone surrogate', 'query ($id: ID!) { thing(id: $id) { id } }', { id: 'alpha\ud800' }, 'id'],
    [
      'an entity lookup',
      'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Thing { id } } }',
      {
        representations: [
          { __typename: 'Thing', id: 'alpha' },
          { __typename: 'Thing', id: '\u0000' },
        ],
      },
      'representations[1].id',
    ],
  ];

  it.each(refused)('%s: BAD_USER_INPUT naming the argument, before any SQL', async (_, query, variables, argument) => {
    const { result, statements } = await countStatements(subgraph.db, () => subgraph.execute(query, variables));
    expect(statements).toEqual([]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({
      message: expect.stringMatching(new RegExp(`^${argument.replace(/[[\].]/g, '\\$&')} holds a`)) as string,
      extensions: { code: 'BAD_USER_INPUT', argument },
    });
  });

  it('keeps the rest of the answer: only the field with the bad argument is null', async () => {
    const result = await subgraph.execute('{ good: thing(id: "alpha") { id name } bad: thing(id: "\\u0000") { id } }');
    expect(result.data).toEqual({ good: { id: 'alpha', name: 'Alpha' }, bad: null });
    expect(result.errors).toMatchObject([{ path: ['bad'], extensions: { code: 'BAD_USER_INPUT', argument: 'id' } }]);
  });

  it('lets text the store can hold through, surrogate pairs included', async () => {
    const created = await subgraph.execute(
      'mutation ($input: CreateThingInput!, $key: String) { createThing(input: $input, idempotencyKey: $key) { id name } }',
      { input: { id: 'gamma', name: 'Gamma 😀 Ωmega' }, key: 'key-😀' },
    );
    expect(created).toEqual({ data: { createThing: { id: 'gamma', name: 'Gamma 😀 Ωmega' } } });
  });
});
