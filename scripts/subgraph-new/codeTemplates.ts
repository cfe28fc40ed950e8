import type { SubgraphNames } from './names.js';

/** The files both kinds of subgraph share: server, entry point, resolvers. */
export function commonFiles(
  n: SubgraphNames,
  port: number,
  description: string,
  feed: boolean,
): Record<string, string> {
  return {
    'src/server.ts': `import { readFileSync } from 'node:fs';
import type { SubgraphModule } from '@cip/subgraph-kit';
import { parse } from 'graphql';
import { createContext, ${feed ? `feedReadiness, ${n.camel}Feed, ` : ''}type ${n.pascal}Context } from './context.js';
import { resolvers } from './resolvers/index.js';

/** ${description} Building it starts nothing. */
export const ${n.camel}Subgraph: SubgraphModule<${n.pascal}Context> = {
  name: '${n.name}',
  storeSchema: '${n.storeSchema}',
  typeDefs: parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8')),
  resolvers,
  migrationsDirectory: new URL('../migrations/', import.meta.url),
  createContext,${feed ? `\n  // /ready and /metrics say whether there is a copy of the feed to serve, and what was quarantined.\n  readiness: feedReadiness,\n  metrics: () => ${n.camel}Feed().registry,` : ''}
};

export const DEFAULT_PORT = ${port};
`,
    'src/index.ts': `import { exitOnStartupError } from '@cip/core';
import { runSubgraph } from '@cip/subgraph-kit';
import { DEFAULT_PORT, ${n.camel}Subgraph } from './server.js';

runSubgraph(${n.camel}Subgraph, DEFAULT_PORT).catch(exitOnStartupError);
`,
    'src/resolvers/Query.ts': `import { parsePage } from '@cip/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  ${n.entityCamel}: (_root, { id }, { records }) => records.byId.load(id),
  ${n.entityPlural}: (_root, { first, after }, { records }, info) => records.list(parsePage({ first, after }, info)),
};
`,
    [`src/resolvers/${n.entity}.ts`]: `import type { ${n.entity}Resolvers } from '../__generated__/resolvers-types.js';

export const ${n.entity}: ${n.entity}Resolvers = {
  __resolveReference: ({ id }, { records }) => records.byId.load(id),${
    feed
      ? `
  // The same for every record of one copy: the feed's, as this request is served.
  freshness: (_row, _args, { records }) => records.freshness(),`
      : ''
  }
};
`,
    [`src/resolvers/${n.references}.ts`]: `import type { ${n.references}Resolvers } from '../__generated__/resolvers-types.js';

export const ${n.references}: ${n.references}Resolvers = {
  // Another office owns ${n.referencesCamel} records; here any id is one, and one with no records has none.
  __resolveReference: ({ id }) => ({ id }),
  ${n.entityPlural}: ({ id }, _args, { records }) => records.of${n.references}.load(id),
};
`,
    'src/resolvers/index.ts': `import type { Resolvers } from '../__generated__/resolvers-types.js';
import { ${n.entity} } from './${n.entity}.js';
import { ${n.references} } from './${n.references}.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { Query, ${n.entity}, ${n.references} };
`,
  };
}

/** A subgraph over its own store, like the four offices: tables, seed, batched SQL. */
export function storeFiles(n: SubgraphNames): Record<string, string> {
  const refColumn = `${n.referencesCamel.replace(/([A-Z])/g, '_$1').toLowerCase()}_id`;
  const seeds =
    n.references === 'Partner'
      ? `INSERT INTO ${n.storeSchema}.${n.table} (id, title, ${refColumn}) VALUES
  ('example-canada', 'An example record about Canada', 'canada'),
  ('example-united-kingdom', 'An example record about the United Kingdom', 'united-kingdom');
`
      : `-- Add this office's records here (id, title, ${refColumn}).\nSELECT 1;\n`;
  return {
    [`migrations/001_create_${n.table}.sql`]: `-- The ${n.name} office's store. ${n.references} records belong to another office, so their ids
-- are kept here as plain references, without foreign keys.
CREATE TABLE ${n.storeSchema}.${n.table} (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  title text NOT NULL,
  ${refColumn} text NOT NULL CHECK (${refColumn} ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);
-- A ${n.referencesCamel}'s records are read by ${n.referencesCamel}: the primary key only serves lookups by id.
CREATE INDEX ${n.table}_${refColumn}_idx ON ${n.storeSchema}.${n.table} (${refColumn});
`,
    [`migrations/002_seed_${n.table}.sql`]: seeds,
    'src/context.ts': `import type { Queryable } from '@cip/subgraph-kit';
import { create${n.pascal}Store, type ${n.pascal}Store } from './datasources/${n.camel}.js';

/** What every resolver of the ${n.name} subgraph gets: this request's batched reads. */
export interface ${n.pascal}Context {
  records: ${n.pascal}Store;
}

export function createContext(db: Queryable): ${n.pascal}Context {
  return { records: create${n.pascal}Store(db) };
}
`,
    [`src/datasources/${n.entityCamel}Record.ts`]: `import { defineRecord } from '@cip/subgraph-kit';

/**
 * The fields of a ${n.entity} record, each rule written once: the columns read derive from it, and so
 * will the create and update checks and the import and export file when the office takes writes
 * (\`checkCreateInput\`, \`toBulkSpec\`: docs/writes.md, docs/bulk.md).
 */
export const ${n.entityCamel}Record = defineRecord({
  entityType: '${n.entity}',
  schema: '${n.storeSchema}',
  table: '${n.table}',
  fields: {
    title: { kind: 'text', column: 'title', required: true },
    // Another office's ${n.references}: \`references: { office, entity: '${n.references}', noun }\` once a write checks it.
    ${n.referencesCamel}Id: { kind: 'id', column: '${refColumn}', required: true },
  },
});
`,
    [`src/datasources/${n.camel}.ts`]: `import {
  byIdLoader,
  fetchPage,
  groupLoader,
  readRecord,
  recordColumns,
  type Page,
  type Queryable,
  type RecordRead,
} from '@cip/subgraph-kit';
import { ${n.entityCamel}Record } from './${n.entityCamel}Record.js';

/** A ${n.referencesCamel}, owned by another office: this office knows only its id. */
export interface ${n.references}Ref {
  id: string;
}

/** A record as read: its fields (${n.entityCamel}Record.ts), the ${n.referencesCamel} it is about as a reference. */
export type ${n.entity}Row = Omit<RecordRead<typeof ${n.entityCamel}Record>, '${n.referencesCamel}Id'> & {
  id: string;
  ${n.referencesCamel}: ${n.references}Ref;
};

const COLUMNS = \`r.id, \${recordColumns(${n.entityCamel}Record, 'r')}\`;
const REFERENCE = ${n.entityCamel}Record.fields.${n.referencesCamel}Id.column;

function toRow(row: Record<string, unknown>): ${n.entity}Row {
  const { ${n.referencesCamel}Id, ...record } = readRecord(${n.entityCamel}Record, row);
  return { ...record, ${n.referencesCamel}: { id: ${n.referencesCamel}Id } } as ${n.entity}Row;
}

/** Every read of the ${n.name} office, batched per request: each loader answers any number of keys with one statement. */
export function create${n.pascal}Store(db: Queryable) {
  const byId = byIdLoader(async (ids) =>
    (await db.query<Record<string, unknown>>(\`SELECT \${COLUMNS} FROM ${n.storeSchema}.${n.table} r WHERE r.id = ANY($1)\`, [ids])).map(toRow),
  );

  const of${n.references} = groupLoader(
    async (refIds) =>
      (
        await db.query<Record<string, unknown>>(
          \`SELECT r.\${REFERENCE} AS "refId", \${COLUMNS} FROM ${n.storeSchema}.${n.table} r
           WHERE r.\${REFERENCE} = ANY($1) ORDER BY r.id\`,
          [refIds],
        )
      ).map((row) => ({ ...toRow(row), refId: row.refId as string })),
    (row) => row.refId,
  );

  function list(page: Page) {
    return fetchPage(
      db,
      { sortKey: 'r.id', columns: COLUMNS, from: '${n.storeSchema}.${n.table} r', where: [], params: [] },
      page,
      toRow,
    );
  }

  return { byId, of${n.references}, list };
}

export type ${n.pascal}Store = ReturnType<typeof create${n.pascal}Store>;
`,
    'src/server.test.ts': `import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ${n.pascal}Context } from './context.js';
import { ${n.camel}Subgraph } from './server.js';

describeEachStore('${n.name} subgraph on $kind', (store) => {
  let subgraph: TestSubgraph<${n.pascal}Context>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(${n.camel}Subgraph, store);
  });
  afterAll(() => subgraph.close());

  it('looks a record up by id; an unknown id is null, not an error', async () => {
    const rows = await subgraph.db.query<{ id: string }>('SELECT id FROM ${n.storeSchema}.${n.table} ORDER BY id LIMIT 1');
    const result = await subgraph.execute(
      'query ($id: ID!, $none: ID!) { found: ${n.entityCamel}(id: $id) { id title ${n.referencesCamel} { id } } none: ${n.entityCamel}(id: $none) { id } }',
      { id: rows[0]?.id ?? 'none-seeded', none: 'atlantis' },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.none).toBeNull();
    if (rows[0]) expect(result.data?.found).toMatchObject({ id: rows[0].id });
  });

  it('lists the records a page at a time, with a total', async () => {
    const [{ count }] = (await subgraph.db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM ${n.storeSchema}.${n.table}',
    )) as [{ count: number }];
    const result = await subgraph.execute('{ ${n.entityPlural}(first: 100) { totalCount nodes { id } } }');
    expect(result.errors).toBeUndefined();
    expect(result.data?.${n.entityPlural}).toMatchObject({ totalCount: count });
  });

  it('resolves a ${n.references} _entities batch with one statement', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute('query ($r: [_Any!]!) { _entities(representations: $r) { ... on ${n.references} { id ${n.entityPlural} { id } } } }', {
        r: ['canada', 'atlantis'].map((id) => ({ __typename: '${n.references}', id })),
      }),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect((result.data?._entities as { id: string }[]).map((entity) => entity.id)).toEqual(['canada', 'atlantis']);
  });
});
`,
  };
}
