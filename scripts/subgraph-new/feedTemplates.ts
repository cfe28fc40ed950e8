import type { SubgraphNames } from './names.js';

/** A subgraph whose records are a partner's HTTP/JSON feed, through the feed kit: no tables of its own. */
export function feedFiles(n: SubgraphNames, feedUrl: string): Record<string, string> {
  const envPrefix = n.storeSchema.toUpperCase();
  return {
    'migrations/001_feed_backed.sql': `-- The ${n.name} office's records come from its partner's feed (src/datasources/${n.camel}.ts);
-- it keeps no tables. Add migrations here if it ever needs to store something of its own.
SELECT 1;
`,
    'src/config.ts': `import { envVar, parseEnv, type Env } from '@cip/core';

export const feedConfigShape = {
  /** The partner's feed: a JSON array of records, or pages of \`{ records, next }\`. */
  ${envPrefix}_FEED_URL: envVar.url().default('${feedUrl}'),
  /** How long a copy of the feed is served before the partner is asked again (ms). */
  ${envPrefix}_FEED_TTL_MS: envVar.positiveInt(60_000),
  /** How long one request to the partner may take before it is retried (ms). */
  ${envPrefix}_FEED_TIMEOUT_MS: envVar.positiveInt(5_000),
};

export type FeedConfig = ReturnType<typeof parseFeedConfig>;

export function parseFeedConfig(env: Env) {
  return parseEnv('subgraph ${n.name}', feedConfigShape, env);
}
`,
    'src/context.ts': `import type { Queryable } from '@cip/subgraph-kit';
import { parseFeedConfig } from './config.js';
import { create${n.pascal}Feed, create${n.pascal}Store, type ${n.pascal}Feed, type ${n.pascal}Store } from './datasources/${n.camel}.js';

/** What every resolver of the ${n.name} subgraph gets: this request's loaders over the partner's feed. */
export interface ${n.pascal}Context {
  records: ${n.pascal}Store;
}

let sharedFeed: ${n.pascal}Feed | undefined;

/**
 * The process's one feed: it holds the cache and the last good copy, so it outlives requests. Built
 * on first use, from the environment, so that building the subgraph module starts nothing.
 */
export function ${n.camel}Feed(): ${n.pascal}Feed {
  sharedFeed ??= create${n.pascal}Feed(parseFeedConfig(process.env));
  return sharedFeed;
}

/**
 * What the subgraph's \`/ready\` should say about the feed: ready once there is a copy to serve (even a
 * stale one), with its record count, staleness and quarantined records (count, ids, reasons).
 */
export function feedReadiness() {
  const status = ${n.camel}Feed().status();
  return { ready: status.ready, feed: status };
}

// The store is not read: this office's records are the partner's feed.
export function createContext(_db: Queryable, feed: ${n.pascal}Feed = ${n.camel}Feed()): ${n.pascal}Context {
  return { records: create${n.pascal}Store(feed) };
}
`,
    [`src/datasources/${n.entityCamel}Record.ts`]: `import { defineRecord } from '@cip/subgraph-kit';

/**
 * The fields of a ${n.entity} record, each rule written once: what a record of the partner's feed
 * must be to be served (\`recordSchema\` checks each one against it). The records are the partner's,
 * kept in no table of this office: the fields name no columns.
 */
export const ${n.entityCamel}Record = defineRecord({
  entityType: '${n.entity}',
  fields: {
    title: { kind: 'text', required: true },
    // Another office's ${n.references}.
    ${n.referencesCamel}Id: { kind: 'id', required: true },
  },
});
`,
    [`src/datasources/${n.camel}.ts`]: `import { PartnerFeed } from '@cip/feed-kit';
import { recordSchema, toConnection, type Page, type RecordValues } from '@cip/subgraph-kit';
import type { FeedConfig } from '../config.js';
import { ${n.entityCamel}Record } from './${n.entityCamel}Record.js';

/** A ${n.referencesCamel}, owned by another office: this office knows only its id. */
export interface ${n.references}Ref {
  id: string;
}

/** A record as served: its fields (${n.entityCamel}Record.ts), the ${n.referencesCamel} it is about as a reference. */
export type ${n.entity}Row = Omit<RecordValues<(typeof ${n.entityCamel}Record)['fields']>, '${n.referencesCamel}Id'> & {
  id: string;
  ${n.referencesCamel}: ${n.references}Ref;
};

/** One record as the partner sends it: the fields of ${n.entityCamel}Record. A record that does not match is quarantined, not served. */
export const ${n.entityCamel}FeedRecord = recordSchema(${n.entityCamel}Record).transform(
  ({ ${n.referencesCamel}Id, ...record }): ${n.entity}Row => ({ ...record, ${n.referencesCamel}: { id: ${n.referencesCamel}Id } }),
);

export type ${n.pascal}Feed = PartnerFeed<${n.entity}Row>;

export function create${n.pascal}Feed(config: FeedConfig): ${n.pascal}Feed {
  return new PartnerFeed<${n.entity}Row>({
    name: '${n.name}',
    url: config.${envPrefix}_FEED_URL,
    record: ${n.entityCamel}FeedRecord,
    ttlMs: config.${envPrefix}_FEED_TTL_MS,
    fetchPolicy: { timeoutMs: config.${envPrefix}_FEED_TIMEOUT_MS },
  });
}

/** This request's reads: by-id lookups and \`_entities\` batches through DataLoader, over the shared feed. */
export function create${n.pascal}Store(feed: ${n.pascal}Feed) {
  const { byId, all, groupedBy } = feed.loaders();
  const of${n.references} = groupedBy((row) => row.${n.referencesCamel}.id);

  async function list(page: Page) {
    // Ordered by id, compared code unit by code unit, like the stores' COLLATE "C" cursors.
    const rows = [...(await all())].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const after = page.afterKey;
    const following = after === null ? rows : rows.filter((row) => row.id > after);
    return toConnection(
      following.slice(0, page.size + 1).map((row) => ({ key: row.id, node: row })),
      page,
      rows.length,
    );
  }

  return { byId, of${n.references}, list, freshness: () => feed.freshness() };
}

export type ${n.pascal}Store = ReturnType<typeof create${n.pascal}Store>;
`,
    'src/server.test.ts': `import { buildTestSubgraph, testStores, type TestSubgraph } from '@cip/testing/subgraphs';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createContext, type ${n.pascal}Context } from './context.js';
import { create${n.pascal}Feed, type ${n.pascal}Feed } from './datasources/${n.camel}.js';
import { ${n.camel}Subgraph } from './server.js';

// The partner's feed is the one thing not run for real: a nock mock on a \`.invalid\` host.
const FEED = 'https://${n.name}.partner.invalid';
const records = [
  { id: 'example-canada', title: 'An example record about Canada', ${n.referencesCamel}Id: 'canada' },
  { id: 'example-united-kingdom', title: 'An example record about the United Kingdom', ${n.referencesCamel}Id: 'united-kingdom' },
  { id: 'Not An Id', title: '' },
];

describe('${n.name} subgraph over its partner feed', () => {
  let feed: ${n.pascal}Feed;
  let subgraph: TestSubgraph<${n.pascal}Context>;
  beforeAll(async () => {
    nock.disableNetConnect();
    feed = create${n.pascal}Feed({
      ${envPrefix}_FEED_URL: \`\${FEED}/records\`,
      ${envPrefix}_FEED_TTL_MS: 60_000,
      ${envPrefix}_FEED_TIMEOUT_MS: 1_000,
    });
    const [store] = testStores({});
    subgraph = await buildTestSubgraph({ ...${n.camel}Subgraph, createContext: (db) => createContext(db, feed) }, store!);
  });
  afterAll(async () => {
    await subgraph.close();
    nock.enableNetConnect();
  });
  beforeEach(() => nock.cleanAll());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('serves the valid records, quarantines the bad one, and joins them to the ${n.referencesCamel}', async () => {
    nock(FEED).get('/records').reply(200, records);
    const result = await subgraph.execute(\`{
      ${n.entityCamel}(id: "example-canada") { id title ${n.referencesCamel} { id } }
      ${n.entityPlural}(first: 1) { totalCount nodes { id } pageInfo { hasNextPage } }
      _entities(representations: [{ __typename: "${n.references}", id: "canada" }]) { ... on ${n.references} { ${n.entityPlural} { id } } }
    }\`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      ${n.entityCamel}: { id: 'example-canada', title: 'An example record about Canada', ${n.referencesCamel}: { id: 'canada' } },
      ${n.entityPlural}: { totalCount: 2, nodes: [{ id: 'example-canada' }], pageInfo: { hasNextPage: true } },
      _entities: [{ ${n.entityPlural}: [{ id: 'example-canada' }] }],
    });
    expect(feed.status()).toMatchObject({ state: 'fresh', records: 2, quarantine: { count: 1, ids: ['Not An Id'] } });
  });

  it('marks every record of the last good copy stale, with since when, while the partner is down', async () => {
    const query = \`{ ${n.entityCamel}(id: "example-canada") { id freshness { stale asOf staleSince } } }\`;
    nock(FEED).get('/records').reply(200, records);
    await feed.refresh();
    const fresh = await subgraph.execute(query);
    expect(fresh.data).toEqual({
      ${n.entityCamel}: { id: 'example-canada', freshness: { stale: false, asOf: expect.any(String), staleSince: null } },
    });
    // A 404 is not retried: the refresh fails at once, and the copy is kept.
    nock(FEED).get('/records').reply(404);
    await feed.refresh();
    const stale = await subgraph.execute(query);
    expect(stale.errors).toBeUndefined();
    expect(stale.data).toEqual({
      ${n.entityCamel}: { id: 'example-canada', freshness: { stale: true, asOf: expect.any(String), staleSince: expect.any(String) } },
    });
  });
});
`,
  };
}
