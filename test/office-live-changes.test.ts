import { ANONYMOUS_CLAIMS, processSigningSecret, type VerifiedClaims } from '@cip/core';
import {
  DEFAULT_SUBSCRIPTION_SETTINGS,
  PostgresDatabase,
  buildSubgraphApp,
  migrateSubgraph,
  writeAudit,
} from '@cip/subgraph-kit';
import { agreementsSubgraph } from '@cip/subgraph-agreements';
import { partnersSubgraph } from '@cip/subgraph-partners';
import {
  collectSubscription,
  gatewaySignedUpgradeHeaders,
  officeSubscriptionClient,
  tryUpgrade,
  versionsAfter,
  versionsByRecord,
  webSocketUrl,
} from '@cip/testing/office-subscriptions';
import { gatewaySignedHeaders, post } from '@cip/testing/tokens';
import {
  POSTGRES_SKIP_REASON,
  bulkFields,
  buildTestSubgraph,
  createScratchPostgres,
  describeEachStore,
  type ScratchPostgres,
  OPEN_GATEWAY_CALLER,
  signedIn,
  type TestSubgraph,
} from '@cip/testing/subgraphs';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { describeUnless, eventually } from '@cip/testing/suites';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { pino } from 'pino';

type PartnersSubgraph = TestSubgraph<ReturnType<typeof partnersSubgraph.createContext>>;

const PARTNER_CHANGED = `subscription ($ids: [ID!]) {
  partnerChanged(ids: $ids) { kind id version actor at partner { id name version archived } } }`;
const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdatePartnerInput!) {
  updatePartner(id: $id, expectedVersion: $version, input: $input) { version } }`;

const writer = signedIn('ana', ['partners:write']);
const POSTGRES_SKIP_REASON_IF_UNSET = process.env.TEST_DATABASE_URL ? undefined : POSTGRES_SKIP_REASON;

describeEachStore('the partners office publishes its committed changes on $kind', (store) => {
  let subgraph: PartnersSubgraph;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    subgraph = await buildTestSubgraph(partnersSubgraph, store);
    url = `${await subgraph.app.listen('127.0.0.1', 0)}/graphql`;
  });
  afterAll(() => subgraph.close());
  const { importFile, exportFile } = bulkFields(
    { execute: (query, variables) => subgraph.execute(query, variables) },
    'Partners',
  );
  afterEach(async () => {
    for (const client of clients.splice(0)) void client.dispose();
    // A closed socket's subscriptions leave the feed: nothing is kept for a reader gone.
    await subscribers((count) => count === 0);
  });

  /** A client whose every connection is signed, as the gateway signs it, for `caller`. */
  const clientFor = (caller: VerifiedClaims = OPEN_GATEWAY_CALLER) => {
    const client = officeSubscriptionClient(url, () =>
      gatewaySignedUpgradeHeaders(processSigningSecret(), 'partners', url, caller),
    );
    clients.push(client);
    return client;
  };
  const versionOf = async (id: string) =>
    (await subgraph.db.query<{ version: number }>('SELECT version FROM partners.partner WHERE id = $1', [id]))[0]!
      .version;
  /** Waits until the office's subscriber count passes `check` (a subscription is live once it is counted). */
  const subscribers = (check: (count: number) => boolean) =>
    eventually(async () => check(subgraph.app.changes.subscribers), 'the subscribers the feed counts', 10_000);
  const listening = (count: number) => subscribers((current) => current >= count);

  it('sends one event for a committed write: its kind, id, version, actor, time and the record as committed', async () => {
    const events = collectSubscription(clientFor(), PARTNER_CHANGED, { ids: ['canada'] });
    await listening(1);
    const version = await versionOf('canada');
    const result = await subgraph.execute(
      UPDATE,
      { id: 'canada', version, input: { region: 'North America' } },
      writer,
    );
    expect(result.errors).toBeUndefined();
    const [event] = await events.received(1);
    expect(event).toEqual({
      data: {
        partnerChanged: {
          kind: 'UPDATED',
          id: 'canada',
          version: version + 1,
          actor: 'ana',
          at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          partner: { id: 'canada', name: expect.any(String), version: version + 1, archived: false },
        },
      },
    });
    // A later write of another partner is not this subscription's: still one event.
    const mexico = await versionOf('mexico');
    await subgraph.execute(UPDATE, { id: 'mexico', version: mexico, input: { region: 'North America' } }, writer);
    await subgraph.execute(UPDATE, { id: 'canada', version: version + 1, input: { region: 'Americas' } }, writer);
    const [, second] = await events.received(2);
    // Read afresh for each event: never the record as an earlier event's reads cached it.
    expect(second?.data?.partnerChanged).toMatchObject({
      id: 'canada',
      version: version + 2,
      partner: { version: version + 2 },
    });
    expect(events.results).toHaveLength(2);
  });

  it('sends nothing for a write that is refused or rolled back', async () => {
    const events = collectSubscription(clientFor(), PARTNER_CHANGED, { ids: ['mexico'] });
    await listening(1);
    const version = await versionOf('mexico');
    const stale = await subgraph.execute(
      UPDATE,
      { id: 'mexico', version: version + 5, input: { region: 'X' } },
      writer,
    );
    expect(stale.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // A transaction that wrote its audit row, then failed: the row and its announcement roll back together.
    await expect(
      subgraph.db.transaction(async (tx) => {
        await tx.query(`UPDATE partners.partner SET version = version + 1 WHERE id = 'mexico'`);
        await writeAudit(tx, 'partners', {
          actor: 'ana',
          action: 'update',
          entityType: 'Partner',
          entityId: 'mexico',
          old: { version },
          new: { version: version + 1 },
        });
        throw new Error('rolled back on purpose');
      }),
    ).rejects.toThrow('rolled back on purpose');
    // Then a committed write: the first event the subscriber gets is that one.
    await subgraph.execute(UPDATE, { id: 'mexico', version, input: { region: 'Latin America' } }, writer);
    const [event] = await events.received(1);
    expect(event?.data?.partnerChanged).toMatchObject({ id: 'mexico', version: version + 1, kind: 'UPDATED' });
    expect(events.results).toHaveLength(1);
  });

  it('refuses an unsigned, wrongly signed or replayed upgrade with 401 and the code, as over HTTP', async () => {
    expect(await tryUpgrade(url, {})).toMatchObject({
      status: 401,
      body: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] },
    });
    const signed = gatewaySignedUpgradeHeaders(processSigningSecret(), 'partners', url, OPEN_GATEWAY_CALLER);
    const forOther = gatewaySignedUpgradeHeaders(processSigningSecret(), 'sectors', url, OPEN_GATEWAY_CALLER);
    expect(await tryUpgrade(url, forOther)).toMatchObject({
      status: 401,
      body: { errors: [{ extensions: { code: 'SIGNATURE_INVALID' } }] },
    });
    expect((await tryUpgrade(url, signed)).status).toBe(101);
    expect(await tryUpgrade(url, signed)).toMatchObject({
      status: 401,
      body: { errors: [{ extensions: { code: 'SIGNATURE_REPLAYED' } }] },
    });
  });

  it('applies the field rules to every event, with the claims verified at the upgrade', async () => {
    const CONTACTS = `subscription { partnerChanged(ids: ["united-kingdom"]) {
      id partner { id pointsOfContact { name email } } } }`;
    const anonymous = collectSubscription(clientFor(ANONYMOUS_CLAIMS), CONTACTS);
    const analyst = collectSubscription(clientFor(signedIn('ben')), CONTACTS);
    const restricted = collectSubscription(clientFor(signedIn('cy', ['partners:restricted'])), CONTACTS);
    await listening(3);
    const version = await versionOf('united-kingdom');
    await subgraph.execute(UPDATE, { id: 'united-kingdom', version, input: { region: 'Europe' } }, writer);
    const [unsigned, signedInOnly, withScope] = (
      await Promise.all([anonymous, analyst, restricted].map((events) => events.received(1)))
    ).map((results) => results[0]);
    expect(unsigned).toEqual({
      data: { partnerChanged: { id: 'united-kingdom', partner: { id: 'united-kingdom', pointsOfContact: null } } },
      errors: [
        expect.objectContaining({
          path: ['partnerChanged', 'partner', 'pointsOfContact'],
          extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
        }),
      ],
    });
    // Signed in, without `partners:restricted`: the non-null email nulls its contact, and so the list.
    expect(signedInOnly?.data).toEqual({
      partnerChanged: { id: 'united-kingdom', partner: { id: 'united-kingdom', pointsOfContact: null } },
    });
    expect(signedInOnly?.errors).toEqual([
      expect.objectContaining({
        path: ['partnerChanged', 'partner', 'pointsOfContact', 0, 'email'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      }),
    ]);
    expect(withScope).toEqual({
      data: {
        partnerChanged: {
          id: 'united-kingdom',
          partner: {
            id: 'united-kingdom',
            pointsOfContact: [{ name: 'Placeholder Contact C', email: 'contact-c@placeholder.invalid' }],
          },
        },
      },
    });
  });

  it('sends 1,000 writes of 10 concurrent writers as exactly 1,000 events, in commit order per record', async () => {
    const ids = ['norway', 'japan', 'france', 'germany', 'italy'];
    const events = collectSubscription(
      clientFor(),
      `subscription ($ids: [ID!]) { partnerChanged(ids: $ids) { id version } }`,
      {
        ids,
      },
    );
    await listening(1);
    const startVersions = new Map(await Promise.all(ids.map(async (id) => [id, await versionOf(id)] as const)));
    let committed = 0;
    // Each writer changes the records in turn; a lost race (CONFLICT) is read again and retried.
    const writers = Array.from({ length: 10 }, async (_, writerIndex) => {
      for (let write = 0; write < 100; write += 1) {
        const id = ids[(writerIndex + write) % ids.length]!;
        for (;;) {
          const version = await versionOf(id);
          const result = await subgraph.execute(
            UPDATE,
            { id, version, input: { region: `Region ${writerIndex}-${write}` } },
            writer,
          );
          if (!result.errors) break;
          expect(result.errors[0]?.extensions?.code).toBe('CONFLICT');
        }
        committed += 1;
      }
    });
    await Promise.all(writers);
    expect(committed).toBe(1_000);
    const received = await events.received(1_000);
    const byRecord = versionsByRecord(
      received.map((result) => result.data?.partnerChanged as { id: string; version: number }),
    );
    for (const id of ids) {
      expect(byRecord.get(id)).toEqual(versionsAfter(startVersions.get(id)!, await versionOf(id)));
    }
    // Nothing more than the 1,000: a later write arrives as the 1,001st, not a duplicate before it.
    await subgraph.execute(
      UPDATE,
      { id: 'italy', version: await versionOf('italy'), input: { region: 'Europe' } },
      writer,
    );
    const [last] = (await events.received(1_001)).slice(-1);
    expect(last?.data?.partnerChanged).toEqual({ id: 'italy', version: await versionOf('italy') });
  });

  it('sends one event per changed record of a bulk import, none for its unchanged rows', async () => {
    const events = collectSubscription(clientFor(), `subscription { partnerChanged { kind id version } }`);
    await listening(1);
    const exported = JSON.parse(await exportFile('JSON')) as Record<string, unknown>[];
    const spain = exported.find((record) => record.id === 'spain')!;
    const poland = exported.find((record) => record.id === 'poland')!;
    const report = await importFile(
      'JSON',
      JSON.stringify([
        { ...spain, name: 'Kingdom of Spain (renamed)' },
        poland,
        { ...poland, id: 'tonga', name: 'Tonga', shortName: 'TO', version: undefined },
      ]),
    );
    expect(report).toMatchObject({ applied: true, created: 1, updated: 1, unchanged: 1 });
    const received = await events.received(2);
    expect(received.map((result) => result.data?.partnerChanged)).toEqual([
      { kind: 'UPDATED', id: 'spain', version: (spain.version as number) + 1 },
      { kind: 'CREATED', id: 'tonga', version: 1 },
    ]);
    // The next event is the next write's: none was sent for poland.
    await subgraph.execute(UPDATE, { id: 'tonga', version: 1, input: { region: 'Oceania' } }, writer);
    const [, , next] = await events.received(3);
    expect(next?.data?.partnerChanged).toEqual({ kind: 'UPDATED', id: 'tonga', version: 2 });
  });

  it('serves only subscriptions over the socket, a bad variable as BAD_USER_INPUT, and at most the configured number per connection', async () => {
    const client = clientFor();
    const query = collectSubscription(client, '{ partner(id: "canada") { id } }');
    await query.ended();
    expect(query.failure).toEqual([expect.objectContaining({ extensions: { code: 'OPERATION_NOT_SUPPORTED' } })]);
    const badVariable = collectSubscription(client, PARTNER_CHANGED, { ids: [{ not: 'an id' }] });
    await badVariable.ended();
    expect(badVariable.results).toEqual([
      { errors: [expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } })] },
    ]);
    const held = Array.from({ length: DEFAULT_SUBSCRIPTION_SETTINGS.maxPerConnection }, () =>
      collectSubscription(client, PARTNER_CHANGED),
    );
    await listening(held.length);
    const oneMore = collectSubscription(client, PARTNER_CHANGED);
    await oneMore.ended();
    expect(oneMore.failure).toEqual([expect.objectContaining({ extensions: { code: 'CHANGE_SUBSCRIPTION_LIMIT' } })]);
    expect(subgraph.app.changes.subscribers).toBe(held.length);
    const metrics = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(new RegExp(`^cip_subgraph_live_subscriptions\\{[^}]*\\} ${held.length}$`, 'm'));
    expect(metrics).toMatch(/^cip_subgraph_live_connections\{[^}]*\} 1$/m);
    held.forEach((subscription) => subscription.stop());
  });
  it('closes a socket that sends a message larger than the request body limit with 1009', async () => {
    const socket = new WebSocket(webSocketUrl(url), 'graphql-transport-ws', {
      headers: gatewaySignedUpgradeHeaders(processSigningSecret(), 'partners', url, OPEN_GATEWAY_CALLER),
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('x'.repeat(1_048_577));
    expect(await closed).toBe(1009);
  });
});

describeEachStore('an office going away on $kind', (store) => {
  it('closes its subscribers with 1001 Going Away when it stops', async () => {
    const subgraph = await buildTestSubgraph(partnersSubgraph, store);
    try {
      const url = `${await subgraph.app.listen('127.0.0.1', 0)}/graphql`;
      const client = officeSubscriptionClient(url, () =>
        gatewaySignedUpgradeHeaders(processSigningSecret(), 'partners', url, OPEN_GATEWAY_CALLER),
      );
      const events = collectSubscription(client, PARTNER_CHANGED);
      await eventually(async () => subgraph.app.changes.subscribers === 1, 'the subscription is live', 10_000);
      await subgraph.app.stop();
      await events.ended();
      expect(events.failure).toMatchObject({ code: 1001 });
      expect(subgraph.app.changes.subscribers).toBe(0);
      // Stopped twice (an office taken down mid-test, then the whole system): the second is a no-op.
      await subgraph.app.stop();
      await client.dispose();
    } finally {
      await subgraph.db.close();
    }
  });
});

describeUnless(POSTGRES_SKIP_REASON_IF_UNSET, 'two partners offices on one PostgreSQL database', () => {
  let database: ScratchPostgres;
  const opened: { stop(): Promise<void> }[] = [];
  beforeAll(async () => {
    database = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    for (const office of opened.splice(0).reverse()) await office.stop();
    await database.drop();
  });

  const startOffice = async (migrateFirst: boolean) => {
    const db = new PostgresDatabase({ connectionString: database.url, poolSize: 4, statementTimeoutMs: 10_000 });
    if (migrateFirst) await migrateSubgraph(partnersSubgraph, db);
    const app = await buildSubgraphApp(partnersSubgraph, {
      db,
      logger: pino({ level: 'silent' }),
      mode: 'test',
      maxBodyBytes: 1_048_576,
    });
    const url = `${await app.listen('127.0.0.1', 0)}/graphql`;
    opened.push({ stop: async () => (await app.stop(), await db.close()) });
    return { app, db, url };
  };

  it('delivers a write through one office to a subscriber of the other', async () => {
    const one = await startOffice(true);
    const other = await startOffice(false);
    const client = officeSubscriptionClient(other.url, () =>
      gatewaySignedUpgradeHeaders(processSigningSecret(), 'partners', other.url, OPEN_GATEWAY_CALLER),
    );
    try {
      const events = collectSubscription(client, PARTNER_CHANGED, { ids: ['canada'] });
      await eventually(async () => other.app.changes.subscribers === 1, 'the subscription is live', 10_000);
      const [{ version }] = (await one.db.query<{ version: number }>(
        `SELECT version FROM partners.partner WHERE id = 'canada'`,
      )) as [{ version: number }];
      const body = JSON.stringify({
        query: UPDATE,
        variables: { id: 'canada', version, input: { region: 'North America' } },
      });
      const signed = await post(one.url, body, undefined, {
        ...gatewaySignedHeaders(processSigningSecret(), 'partners', one.url, writer, body),
      });
      expect(signed.body.errors).toBeUndefined();
      const [event] = await events.received(1);
      expect(event?.data?.partnerChanged).toMatchObject({
        kind: 'UPDATED',
        id: 'canada',
        version: version + 1,
        actor: 'ana',
        partner: { id: 'canada', version: version + 1 },
      });
    } finally {
      await client.dispose();
    }
  });
});

describeEachStore('the agreements office filters its live changes on $kind', (store) => {
  let subgraph: TestSubgraph<ReturnType<typeof agreementsSubgraph.createContext>>;
  let url: string;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(agreementsSubgraph, store);
    url = `${await subgraph.app.listen('127.0.0.1', 0)}/graphql`;
  });
  afterAll(() => subgraph.close());

  it('sends the changes after which the agreement matches the filter, and an archive of one it matched', async () => {
    const client = officeSubscriptionClient(url, () =>
      gatewaySignedUpgradeHeaders(processSigningSecret(), 'agreements', url, OPEN_GATEWAY_CALLER),
    );
    const AGREEMENT_CHANGED = `subscription ($filter: AgreementFilter) {
      agreementChanged(filter: $filter) { kind id agreement { id kind } } }`;
    try {
      const declarations = collectSubscription(client, AGREEMENT_CHANGED, { filter: { kind: 'DECLARATION' } });
      const withMexico = collectSubscription(client, AGREEMENT_CHANGED, { filter: { partyId: 'mexico' } });
      await eventually(async () => subgraph.app.changes.subscribers === 2, 'both subscriptions are live', 10_000);
      const agreementWriter = signedIn('ana', ['agreements:write']);
      const versionOf = async (id: string) =>
        (
          await subgraph.db.query<{ version: number }>('SELECT version FROM agreements.agreement WHERE id = $1', [id])
        )[0]!.version;
      for (const id of ['smart-border-declaration', 'security-and-prosperity-partnership']) {
        const result = await subgraph.execute(
          `mutation ($id: ID!, $version: Int!) {
            updateAgreement(id: $id, expectedVersion: $version, input: { purpose: "Revised." }) { version } }`,
          { id, version: await versionOf(id) },
          agreementWriter,
        );
        expect(result.errors).toBeUndefined();
      }
      const archived = await subgraph.execute(
        `mutation ($id: ID!, $version: Int!) { archiveAgreement(id: $id, expectedVersion: $version) { version } }`,
        { id: 'border-partnership-declaration', version: await versionOf('border-partnership-declaration') },
        agreementWriter,
      );
      expect(archived.errors).toBeUndefined();
      const changed = (results: { data?: Record<string, unknown> | null }[]) =>
        results.map((result) => {
          const { kind, id } = result.data?.agreementChanged as { kind: string; id: string };
          return `${kind} ${id}`;
        });
      expect(changed(await declarations.received(2))).toEqual([
        'UPDATED smart-border-declaration',
        'ARCHIVED border-partnership-declaration',
      ]);
      expect(changed(await withMexico.received(2))).toEqual([
        'UPDATED security-and-prosperity-partnership',
        'ARCHIVED border-partnership-declaration',
      ]);
    } finally {
      await client.dispose();
    }
  });
});
