import { processSigningSecret } from '@cip/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hiveGatewaySkipReason, startHiveGateway, type RunningHiveGateway } from '@cip/testing/hive-gateway';
import { liveSseClient, liveWebSocketClient, type Recording } from '@cip/testing/live-clients';
import { describeUnless } from '@cip/testing/suites';
import { startTcpLink, type TcpLink } from '@cip/testing/tcp-link';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * The offices' subscriptions through Hive Gateway (deploy/hive-gateway/gateway.config.mjs): Hive
 * subscribes to the owning office over graphql-ws with the upgrade signed for that office and the
 * caller's claims (subgraphSigning.mjs), fetches the other offices' fields of each event over signed
 * HTTP, and serves the events over graphql-ws (the token in connection_init, as our gateway takes
 * it) and SSE. Each event is compared with what our gateway delivers for the same write.
 */

const WATCH = `subscription Watch($ids: [ID!]) {
  partnerChanged(ids: $ids) { kind id version actor partner { id shortName agreements { totalCount } } }
}`;
/** Points of contact need a signed-in caller; their emails the `partners:restricted` scope (Mexico has one). */
const CONTACTS = `subscription { partnerChanged(ids: ["mexico"]) { id partner { pointsOfContact { name email } } } }`;
type Contacts = { partner: { pointsOfContact: { email: string | null }[] } };
const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdatePartnerInput!) {
  updatePartner(id: $id, expectedVersion: $version, input: $input) { version } }`;

describeUnless(hiveGatewaySkipReason(), 'subscriptions through Hive Gateway, beside our gateway', () => {
  let system: RunningSystem;
  let hive: RunningHiveGateway;
  /** Between Hive and the partners office: cut to drop Hive's socket to the office. */
  let link: TcpLink;
  let reader: string;
  let writer: string;
  let analyst: string;

  beforeAll(async () => {
    reader = await makeToken({ subject: 'reader-1' });
    writer = await makeToken({ subject: 'writer-1', scopes: ['partners:write'] });
    analyst = await makeToken({ subject: 'analyst-1', scopes: ['partners:restricted'] });
    system = await startSystem({ ...TEST_AUTH });
    // The embedded offices check keys derived from this process's own master (processSigningSecret): Hive gets it.
    link = await startTcpLink(system.subgraphUrls.partners!);
    hive = await startHiveGateway(
      { ...system.subgraphUrls, partners: link.url },
      { ...TEST_AUTH, GATEWAY_SIGNING_SECRET: processSigningSecret() },
    );
  }, 120_000);
  afterAll(async () => {
    await hive?.stop();
    await link?.stop();
    await system?.stop();
  });

  async function versionOf(id: string): Promise<number> {
    const { body } = await post(system.gatewayUrl, { query: `{ partner(id: "${id}") { version } }` });
    return body.data.partner.version as number;
  }

  /**
   * Writes `id` until every recording has an event (a subscription is live at its office a moment
   * after the client subscribes, and nothing tells a client when): returns the versions written.
   */
  async function writeUntilEvents(id: string, recordings: Recording[]): Promise<number[]> {
    const written: number[] = [];
    for (let attempt = 0; recordings.some((recording) => recording.events.length === 0); attempt++) {
      if (attempt === 40)
        throw new Error(`no event after 40 writes: ${JSON.stringify(recordings.map((r) => r.summary()))}`);
      const version = await versionOf(id);
      const { status, body } = await post(
        system.gatewayUrl,
        { query: UPDATE, variables: { id, version, input: { shortName: `${id}-${attempt}` } } },
        writer,
      );
      expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
      written.push(body.data.updatePartner.version as number);
      await Promise.all(recordings.map((recording) => recording.untilEvents(1, 500).catch(() => undefined)));
    }
    return written;
  }

  it("a write arrives through Hive over graphql-ws and SSE as it does through our gateway, with another office's field", async () => {
    const clients = [
      liveWebSocketClient(hive.url, { token: reader }),
      liveSseClient(hive.url, { token: reader }),
      liveWebSocketClient(system.gatewayUrl, { token: reader }),
    ];
    const [viaHiveWs, viaHiveSse, viaOurs] = clients.map((client) =>
      client.subscribe({ query: WATCH, variables: { ids: ['mexico'] } }),
    ) as unknown as [Recording, Recording, Recording];
    const written = await writeUntilEvents('mexico', [viaHiveWs, viaHiveSse, viaOurs]);
    for (const recording of [viaHiveWs, viaHiveSse, viaOurs]) {
      const [event] = recording.events;
      expect(event?.errors).toBeUndefined();
      expect(event?.data?.partnerChanged).toMatchObject({
        kind: 'UPDATED',
        id: 'mexico',
        actor: 'writer-1',
        partner: { id: 'mexico', agreements: { totalCount: expect.any(Number) } },
      });
      expect(written).toContain((event?.data?.partnerChanged as { version: number }).version);
    }
    // The last write reached all three: the same event, field for field.
    const last = written.at(-1)!;
    const lastOf = (recording: Recording) =>
      recording
        .until((r) => r.events.some((e) => (e.data?.partnerChanged as { version: number }).version === last), 10_000)
        .then(() => recording.events.find((e) => (e.data?.partnerChanged as { version: number }).version === last));
    const [hiveWs, hiveSse, ours] = await Promise.all([viaHiveWs, viaHiveSse, viaOurs].map(lastOf));
    expect(hiveWs).toEqual(ours);
    expect(hiveSse).toEqual(ours);
    for (const client of clients) await client.dispose();
  });

  it("each event is read at the office as the caller: over SSE, Hive's signed upgrade carries the caller's claims", async () => {
    const clients = [
      liveSseClient(hive.url, { token: analyst }),
      liveWebSocketClient(system.gatewayUrl, { token: analyst }),
    ];
    const [viaHive, viaOurs] = clients.map((client) => client.subscribe({ query: CONTACTS })) as unknown as [
      Recording,
      Recording,
    ];
    await writeUntilEvents('mexico', [viaHive, viaOurs]);
    // The restricted emails are there: the office saw the scope in the claims of Hive's upgrade.
    const contacts = (viaHive.events[0]?.data?.partnerChanged as Contacts).partner.pointsOfContact;
    expect(contacts.length).toBeGreaterThan(0);
    expect(contacts.every((contact) => typeof contact.email === 'string')).toBe(true);
    expect(viaHive.events[0]).toEqual(viaOurs.events[0]);
    for (const client of clients) await client.dispose();
  });

  it('where Hive differs: over graphql-ws, a field under @authenticated or @requiresScopes is denied even with a valid token', async () => {
    const client = liveWebSocketClient(hive.url, { token: analyst });
    const watching = client.subscribe({ query: CONTACTS });
    // Hive's authorization resolves the caller before its JWT plugin has read connection_init's token:
    // the caller is anonymous to it, the field is taken out before planning, and the subscription ends.
    await watching.until((recording) => recording.completed, 30_000, 'the subscription to end');
    expect(watching.payloads).toEqual([
      {
        data: null,
        errors: [
          {
            message: 'Unauthorized field or type',
            locations: [expect.any(Object)],
            path: ['partnerChanged', 'partner', '@', 'pointsOfContact'],
            extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE', http: { status: 401 } },
          },
        ],
      },
    ]);
    await client.dispose();
  });

  it('where Hive differs: a dropped office connection is opened again with the same signed upgrade, refused as a replay, and the subscription ends with an error', async () => {
    const ws = liveWebSocketClient(hive.url, { token: reader });
    const watching = ws.subscribe({ query: WATCH, variables: { ids: ['canada'] } });
    await writeUntilEvents('canada', [watching]);
    const answered = link.answers.length;
    link.cut();
    await watching.until((recording) => recording.completed, 60_000, 'the subscription to end');
    // Hive's transport opened the socket again with the headers it signed for the first upgrade:
    // the office accepts each signature once (our gateway signs every upgrade afresh).
    const again = link.answers.slice(answered);
    expect(again.length, JSON.stringify(again)).toBeGreaterThan(0);
    for (const answer of again) expect(answer).toMatch(/^HTTP\/1\.1 401 [\s\S]*"code":"SIGNATURE_REPLAYED"/);
    // What the client gets: one error without a code, then the end; no SUBSCRIPTION_GAP, no resubscription.
    expect(watching.payloads.slice(watching.events.length)).toEqual([
      { errors: [{ message: 'Unexpected server response: 401', locations: [{ line: 1, column: 1 }] }] },
    ]);
    // A new subscription gets a new signature, and works.
    const resubscribed = ws.subscribe({ query: WATCH, variables: { ids: ['canada'] } });
    await writeUntilEvents('canada', [resubscribed]);
    expect(resubscribed.events[0]?.data?.partnerChanged).toMatchObject({ id: 'canada', kind: 'UPDATED' });
    await ws.dispose();
  });
});
