import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BaseContext } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import pg from 'pg';
import { describe, expect } from 'vitest';
import { describeUnless } from './suites.js';
import { pino } from 'pino';
import { ANONYMOUS_CLAIMS, officeKeysFromMaster, processSigningSecret, type VerifiedClaims } from '@cip/core';
import {
  PgliteDatabase,
  PostgresDatabase,
  httpPeers,
  openPglite,
  type BulkFormat,
  type BulkImportReport,
  type Database,
  buildSubgraphApp,
  migrateSubgraph,
  type SubgraphApp,
  type SubgraphDeps,
  type SubgraphModule,
} from '@cip/subgraph-kit';

/** A kind of store the data-layer tests run against, with a fresh, empty database each time. */
export interface TestStore {
  kind: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

/** Why the PostgreSQL suites are skipped when no server is named, in the words the report shows. */
export const POSTGRES_SKIP_REASON = 'TEST_DATABASE_URL is not set (postgres://... to run them)';

/**
 * PGlite always; PostgreSQL too when TEST_DATABASE_URL names a server (CI sets it). Each `open`
 * on PostgreSQL creates a database of its own, dropped again when the returned handle closes.
 */
export function testStores(env: Readonly<Record<string, string | undefined>> = process.env): TestStore[] {
  const stores: TestStore[] = [{ kind: 'pglite', open: async () => new PgliteDatabase(await openPglite()) }];
  const adminUrl = env.TEST_DATABASE_URL;
  if (adminUrl) stores.push({ kind: 'postgres', open: () => openScratchPostgres(adminUrl) });
  return stores;
}

/** `describe.each` over every store (`$kind` in the title names it); PostgreSQL skipped, with why, when unset. */
export function describeEachStore(title: string, body: (store: TestStore) => void): void {
  const stores = testStores();
  for (const store of stores) describe(title.replaceAll('$kind', store.kind), () => body(store));
  if (!stores.some((store) => store.kind === 'postgres')) {
    const postgres: TestStore = {
      kind: 'postgres',
      open: () => Promise.reject(new Error(`not reached: ${POSTGRES_SKIP_REASON}`)),
    };
    describeUnless(POSTGRES_SKIP_REASON, title.replaceAll('$kind', 'postgres'), () => body(postgres));
  }
}

async function openScratchPostgres(adminUrl: string): Promise<Database> {
  const name = `cip_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new PostgresDatabase({ connectionString: url.toString(), poolSize: 4, statementTimeoutMs: 10_000 });
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    const dropper = new pg.Client({ connectionString: adminUrl });
    await dropper.connect();
    try {
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await dropper.end();
    }
  };
  return db;
}

/** An empty PostgreSQL database of its own, for tests that hand a URL to another process. */
export interface ScratchPostgres {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the server `adminUrl` names; `drop` removes it, connections and all. */
export async function createScratchPostgres(adminUrl: string): Promise<ScratchPostgres> {
  const name = `cip_test_${randomBytes(6).toString('hex')}`;
  const withAdmin = async (sql: string) => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(sql);
    } finally {
      await admin.end();
    }
  };
  await withAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Counts the SQL statements sent while `work` runs: the proof that reads are batched. */
export async function countStatements<T>(
  db: Database,
  work: () => Promise<T>,
): Promise<{ result: T; statements: string[] }> {
  const statements: string[] = [];
  const stop = db.onStatement((sql) => statements.push(sql));
  try {
    return { result: await work(), statements };
  } finally {
    stop();
  }
}

/** The claims the open gateway passes (no token key, outside production): anonymous, every field visible. */
export const OPEN_GATEWAY_CALLER: VerifiedClaims = { ...ANONYMOUS_CLAIMS, unrestricted: true };

/** The claims the gateway passes for a signed-in caller, for `TestSubgraph.execute`. */
export function signedIn(subject: string, scopes: readonly string[] = []): VerifiedClaims {
  return { authenticated: true, subject, scopes: [...scopes] };
}

export interface TestSubgraph<TContext extends BaseContext> {
  app: SubgraphApp<TContext>;
  db: Database;
  /**
   * Runs an operation in-process with a fresh request context; returns the single result. The
   * caller is the one the gateway would have verified (`callerOf`); unless given, the open
   * gateway's (`OPEN_GATEWAY_CALLER`), who may read and write every field, as with `npm start`.
   */
  execute(
    query: string,
    variables?: Record<string, unknown>,
    caller?: VerifiedClaims,
  ): Promise<FormattedExecutionResult>;
  close(): Promise<void>;
}

/** Builds a subgraph over a fresh, migrated store, for in-process tests of its resolvers and data access. */
export async function buildTestSubgraph<TContext extends BaseContext>(
  module: SubgraphModule<TContext>,
  store: TestStore,
  mode: SubgraphDeps['mode'] = 'test',
  /** Other offices' subgraphs (name → `/graphql` URL), for writes that check references. */
  peers: Readonly<Record<string, string>> = {},
): Promise<TestSubgraph<TContext>> {
  const db = await store.open();
  await migrateSubgraph(module, db);
  const app = await buildSubgraphApp(module, {
    db,
    logger: pino({ level: 'silent' }),
    mode,
    maxBodyBytes: 1_048_576,
    peers,
  });
  const lookups = httpPeers({
    urls: peers,
    keys: officeKeysFromMaster(processSigningSecret(), module.name),
    self: module.name,
  });
  return {
    app,
    db,
    async execute(query, variables, caller) {
      const response = await app.apollo.executeOperation(
        { query, ...(variables ? { variables } : {}) },
        {
          contextValue: Object.assign(module.createContext(db), {
            peers: lookups,
            caller: caller ?? OPEN_GATEWAY_CALLER,
          }),
        },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult;
    },
    async close() {
      await app.stop();
      await db.close();
    },
  };
}

/** An office's create, as `expectKeysKeptToTheirCaller` runs it. */
export interface KeyedCreate {
  /** The create mutation, taking `$input` and `$key`. */
  mutation: string;
  /** Its field, e.g. `createPartner`. */
  field: string;
  /** The scope it needs (its `@requiresScopes`), e.g. `partners:write`: the office checks it too. */
  writeScope: string;
  /** Two valid inputs, of records that do not exist yet. */
  inputs: readonly [{ id: string }, { id: string }];
  /** The actors the office's audit log names for a record, oldest first. */
  actorsOf(id: string): Promise<string[]>;
}

/**
 * Asserts that an office keeps an idempotency key to its caller. Alice creates with a key; the
 * same key and input from Bob, or from an anonymous caller, is a create of their own (refused,
 * the id being taken), never Alice's record; Bob's key with other input is no CONFLICT with
 * Alice's; each one's retry replays their own record.
 */
export async function expectKeysKeptToTheirCaller(
  subgraph: Pick<TestSubgraph<BaseContext>, 'execute'>,
  create: KeyedCreate,
): Promise<void> {
  const [alice, bob] = [signedIn('alice', [create.writeScope]), signedIn('bob', [create.writeScope])];
  const [mine, theirs] = create.inputs;
  const run = (input: { id: string }, caller?: VerifiedClaims) =>
    subgraph.execute(create.mutation, { input, key: 'shared-key' }, caller);
  const first = await run(mine, alice);
  expect(first.errors).toBeUndefined();
  for (const caller of [bob, undefined]) {
    expect((await run(mine, caller)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.id',
    });
  }
  const own = await run(theirs, bob);
  expect(own.data?.[create.field]).toMatchObject({ id: theirs.id, version: 1 });
  expect(await run(mine, alice)).toEqual(first);
  expect(await run(theirs, bob)).toEqual(own);
  expect(await create.actorsOf(mine.id)).toEqual(['alice']);
  expect(await create.actorsOf(theirs.id)).toEqual(['bob']);
}

/** Entities other offices hold, by type then id, as their `_entities` answers them; ids left out are unknown there. */
export type OtherOfficeRecords = Record<string, Record<string, Record<string, unknown>>>;

export interface FakeOffices {
  /** The `/graphql` URL to give as every other office's peer URL. */
  url: string;
  /** `_entities` requests answered (or refused) so far. */
  lookups: number;
  /** While true, every request is answered 503: the office is down. */
  down: boolean;
  close(): Promise<void>;
}

/**
 * Stands in for the other offices in a subgraph's own tests (subgraphs never import each other; the
 * system tests under test/ run the real ones): a real HTTP server on a free port answering
 * `_entities` from `records` (read at each request, so a test may change them), null for an id it
 * does not know. No keep-alive, so a lookup never meets a socket the server is closing.
 */
export async function startFakeOffices(records: OtherOfficeRecords): Promise<FakeOffices> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      offices.lookups++;
      if (offices.down) return void response.writeHead(503, { connection: 'close' }).end();
      const { variables } = JSON.parse(body) as {
        variables: { representations: { __typename: string; id: string }[] };
      };
      const entities = variables.representations.map(({ __typename, id }) => {
        const record = records[__typename]?.[id];
        return record ? { __typename, id, ...record } : null;
      });
      response.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ data: { _entities: entities } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const offices: FakeOffices = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    lookups: 0,
    down: false,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return offices;
}

/**
 * An office's bulk fields (`import<Records>` / `export<Records>`) as a test calls them: each call
 * asserts the operation itself raised no GraphQL error and returns the report or the file.
 */
export function bulkFields(subgraph: Pick<TestSubgraph<BaseContext>, 'execute'>, records: string) {
  const importField = `import${records}`;
  const exportField = `export${records}`;
  const importOperation = `mutation ($format: BulkFormat!, $content: String!, $dryRun: Boolean) {
    ${importField}(format: $format, content: $content, dryRun: $dryRun) {
      applied dryRun rows created updated unchanged errors { row field code message } } }`;
  const exportOperation = `query ($format: BulkFormat!) { ${exportField}(format: $format) }`;
  const run = async (operation: string, variables: Record<string, unknown>, field: string) => {
    const result = await subgraph.execute(operation, variables);
    if (result.errors) throw new Error(`${field} failed: ${JSON.stringify(result.errors)}`);
    return result.data?.[field];
  };
  return {
    importFile: async (format: BulkFormat, content: string, dryRun = false) =>
      (await run(importOperation, { format, content, dryRun }, importField)) as BulkImportReport,
    exportFile: async (format: BulkFormat) => (await run(exportOperation, { format }, exportField)) as string,
  };
}
