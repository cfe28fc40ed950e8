import { processSigningSecret, type VerifiedClaims } from '@cip/core';
import { writeAudit } from '@cip/subgraph-kit';
import { partnersSubgraph } from '@cip/subgraph-partners';
import {
  collectSubscription,
  gatewaySignedUpgradeHeaders,
  officeSubscriptionClient,
  tryUpgrade,
} from '@cip/testing/office-subscriptions';
import {
  buildTestSubgraph,
  describeEachStore,
  OPEN_GATEWAY_CALLER,
  signedIn,
  type TestSubgraph,
} from '@cip/testing/subgraphs';
import type { Client } from 'graphql-ws';
import { eventually } from '@cip/testing/suites';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';

type PartnersSubgraph = TestSubgraph<ReturnType<typeof partnersSubgraph.createContext>>;

const PARTNER_CHANGED = `subscription ($ids: [ID!]) {
  partnerChanged(ids: $ids) { kind id version actor at partner { id name version archived } } }`;
const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdatePartnerInput!) {
  updatePartner(id: $id, expectedVersion: $version, input: $input) { version } }`;

const writer = signedIn('ana', ['partners:write']);

describeEachStore('the partners office publishes its committed changes on $kind', (store) => {
  let subgraph: PartnersSubgraph;
  let url: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    subgraph = await buildTestSubgraph(partnersSubgraph, store);
    url = `${await subgraph.app.listen('127.0.0.1', 0)}/graphql`;
  });
  afterAll(() => subgraph.close());
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
    expect(second?.data?.partnerChanged).toMatchObject({ id: 'canada', version: version + 2 });
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
});
