import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveSseClient, liveWebSocketClient, type Recording } from '@cip/testing/live-clients';
import { versionsAfter, versionsByRecord } from '@cip/testing/office-subscriptions';
import { startEntry, type EntryProcess } from '@cip/testing/processes';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { startTcpProxy, type TcpProxy } from '@cip/testing/tcp-proxy';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';
import {
  AgreementChangesDocument,
  type AgreementChangesSubscription,
  type AgreementChangesSubscriptionVariables,
} from './operations/__generated__/operations.js';

/**
 * Live changes end to end, on the real system (four offices over the embedded store, the gateway in
 * front): a write through the gateway arrives as an event to a graphql-ws client and to an SSE
 * client, with fields from two other offices in it, under each caller's field rules; a token that
 * expires closes the subscription with its code.
 */

const AGREEMENT = 'g8-counter-terrorism-statement';
const WATCH = `subscription Watch($ids: [ID!]) {
  agreementChanged(ids: $ids) {
    kind id version actor
    agreement { title internalNotes parties { name } threatFocusAreas { name } }
  }
}`;

type Change = {
  agreementChanged: {
    kind: string;
    id: string;
    version: number;
    actor: string;
    agreement: {
      title: string;
      internalNotes: string | null;
      parties: { name: string }[];
      threatFocusAreas: unknown[];
    };
  };
};

let purposes = 0;

/** Writes through the gateway of `system` and watches what arrives. */
function liveHelpers(system: () => RunningSystem, writer: () => string) {
  /** One write through the gateway; returns the version it committed. */
  async function write(): Promise<number> {
    const read = await post(system().gatewayUrl, { query: `{ agreement(id: "${AGREEMENT}") { version } }` }, writer());
    const expectedVersion = read.body.data.agreement.version as number;
    const written = await post(
      system().gatewayUrl,
      {
        query: `mutation ($version: Int!, $purpose: String!) {
          updateAgreement(id: "${AGREEMENT}", expectedVersion: $version, input: { purpose: $purpose }) { version }
        }`,
        variables: { version: expectedVersion, purpose: `Bilateral CI/KR issues (revision ${++purposes})` },
      },
      writer(),
    );
    expect(written.body.errors).toBeUndefined();
    return written.body.data.updateAgreement.version as number;
  }

  /**
   * Writes until every recording has an event: an office starts listening a moment after the
   * gateway's subscription reaches it, and a write before that is (rightly) no event for it.
   */
  async function untilLive(recordings: Recording[]): Promise<void> {
    for (let attempt = 0; recordings.some((recording) => recording.events.length === 0); attempt++) {
      if (attempt > 30)
        throw new Error(`no event after ${attempt} writes: ${JSON.stringify(recordings.map((r) => r.summary()))}`);
      await write();
      await Promise.race([
        Promise.all(recordings.map((recording) => recording.untilEvents(1, 60_000))),
        new Promise((resolve) => setTimeout(resolve, 1_000)),
      ]);
    }
  }

  const changeOf = (recording: Recording, version: number) =>
    recording.payloads.find((payload) => (payload.data as Change | undefined)?.agreementChanged.version === version);
  return { write, untilLive, changeOf };
}

describe('live changes through the gateway, end to end', () => {
  let system: RunningSystem;
  let writer: string;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH });
    writer = await makeToken({ subject: 'editor', scopes: ['agreements:write'] });
  });
  afterAll(() => system?.stop());
  const { write, untilLive, changeOf } = liveHelpers(
    () => system,
    () => writer,
  );

  it("a write arrives to a graphql-ws client and an SSE client, with partners and threat-focus-areas fields, under each caller's field rules", async () => {
    const reader = await makeToken({ subject: 'reader' });
    const restricted = await makeToken({ subject: 'negotiator', scopes: ['agreements:restricted'] });
    const ws = liveWebSocketClient(system.gatewayUrl, { token: reader });
    const sse = liveSseClient(system.gatewayUrl, { token: restricted });
    const viaWs = ws.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    const viaSse = sse.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    await untilLive([viaWs, viaSse]);

    const version = await write();
    await viaWs.until((recording) => changeOf(recording, version) !== undefined, 30_000, `version ${version}`);
    await viaSse.until((recording) => changeOf(recording, version) !== undefined, 30_000, `version ${version}`);
    const seenByReader = changeOf(viaWs, version)!;
    const seenByNegotiator = changeOf(viaSse, version)!;
    const change = (seenByNegotiator.data as Change).agreementChanged;
    expect(change).toMatchObject({ kind: 'UPDATED', id: AGREEMENT, version, actor: 'editor' });
    // From partners, and from threat-focus-areas (the list resolved there, as the query selects it).
    expect(change.agreement.parties.map((party) => party.name)).toEqual(
      expect.arrayContaining(['Group of Eight (G8)']),
    );
    expect(change.agreement.threatFocusAreas.length).toBeGreaterThan(0);
    expect(change.agreement.threatFocusAreas).not.toContain(null);
    expect(seenByNegotiator.errors).toBeUndefined();
    // The reader lacks agreements:restricted: the field is null, with the code, in every event.
    expect((seenByReader.data as Change).agreementChanged.agreement.internalNotes).toBeNull();
    expect(seenByReader.errors).toEqual([
      expect.objectContaining({
        path: ['agreementChanged', 'agreement', 'internalNotes'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      }),
    ]);
    expect({ ...(seenByReader.data as Change).agreementChanged.agreement, internalNotes: undefined }).toEqual({
      ...change.agreement,
      internalNotes: undefined,
    });
    // Versions arrive in commit order.
    const versions = viaWs.events.map((event) => (event.data as Change).agreementChanged.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    viaWs.unsubscribe();
    viaSse.unsubscribe();
    await ws.dispose();
    sse.dispose();
  });

  it('a token that expires mid-subscription closes the WebSocket with 4401 and ends the SSE stream with the code', async () => {
    const shortLived = await makeToken({ subject: 'brief', expiresIn: 4 });
    const ws = liveWebSocketClient(system.gatewayUrl, { token: shortLived });
    const sse = liveSseClient(system.gatewayUrl, { token: shortLived });
    const viaWs = ws.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    const viaSse = sse.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    await viaWs.until((recording) => recording.closed !== undefined, 30_000, 'the close');
    expect(viaWs.closed).toEqual({ code: 4401, reason: 'UNAUTHENTICATED: The bearer token expired; sign in again.' });
    await viaSse.until((recording) => recording.completed, 30_000, 'the end of the stream');
    expect(viaSse.codes.at(-1)).toBe('UNAUTHENTICATED');
    await ws.dispose();
    sse.dispose();
  });
});

describe("a frontend's trusted subscription in production (TRUSTED_DOCUMENTS=enforce)", () => {
  let system: RunningSystem;
  let writer: string;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH, NODE_ENV: 'production', TRUSTED_DOCUMENTS: 'enforce' });
    // An analyst may send its ad-hoc reads and writes; the frontend's user below may not.
    writer = await makeToken({ subject: 'editor', scopes: ['analyst', 'agreements:write'] });
  });
  afterAll(() => system?.stop());
  const { write, untilLive } = liveHelpers(
    () => system,
    () => writer,
  );
  const adHoc = 'subscription { agreementChanged { id version } }';

  it('streams over graphql-ws and SSE for a caller held to trusted documents', async () => {
    const user = await makeToken({ subject: 'frontend-user' });
    const ws = liveWebSocketClient(system.gatewayUrl, { token: user });
    const sse = liveSseClient(system.gatewayUrl, { token: user });
    // As a frontend's typed code sends it: the generated document, printed.
    const variables: AgreementChangesSubscriptionVariables = { ids: [AGREEMENT] };
    const request = { query: print(AgreementChangesDocument), variables };
    const [viaWs, viaSse] = [ws.subscribe(request), sse.subscribe(request)];
    await untilLive([viaWs, viaSse]);
    const version = await write();
    for (const recording of [viaWs, viaSse]) {
      await recording.until(
        (seen) =>
          seen.events.some(
            (event) => (event.data as AgreementChangesSubscription).agreementChanged.version === version,
          ),
        30_000,
        `version ${version}`,
      );
      expect(recording.codes).toEqual([]);
    }
    viaWs.unsubscribe();
    viaSse.unsubscribe();
    await ws.dispose();
    sse.dispose();
  });

  it('refuses an ad-hoc subscription with OPERATION_NOT_TRUSTED: a graphql-ws error, an SSE 403', async () => {
    const user = await makeToken({ subject: 'frontend-user' });
    const ws = liveWebSocketClient(system.gatewayUrl, { token: user });
    const refused = ws.subscribe({ query: adHoc });
    await refused.until((recording) => recording.completed);
    expect((refused.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
    await ws.dispose();
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${user}` },
      body: JSON.stringify({ query: adHoc }),
    });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('OPERATION_NOT_TRUSTED');
  });
});

describe('1,000 writes through the gateway from 10 concurrent writers', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH });
  });
  afterAll(() => system?.stop());

  it('arrive at a graphql-ws and an SSE subscriber as exactly 1,000 events each, in commit order per record', async () => {
    const ids = ['norway', 'japan', 'france', 'germany', 'italy'];
    const writer = await makeToken({ subject: 'bulk-editor', scopes: ['partners:write'] });
    const versionOf = async (id: string): Promise<number> => {
      const { body } = await post(system.gatewayUrl, { query: `{ partner(id: "${id}") { version } }` }, writer);
      return body.data.partner.version as number;
    };
    const update = (id: string, version: number, region: string) =>
      post(
        system.gatewayUrl,
        {
          query: `mutation ($id: ID!, $version: Int!, $region: String!) {
            updatePartner(id: $id, expectedVersion: $version, input: { region: $region }) { version }
          }`,
          variables: { id, version, region },
        },
        writer,
      );
    const watch = {
      query: 'subscription ($ids: [ID!]) { partnerChanged(ids: $ids) { id version } }',
      variables: { ids },
    };
    const ws = liveWebSocketClient(system.gatewayUrl, { token: writer });
    const sse = liveSseClient(system.gatewayUrl, { token: writer });
    const viaWs = ws.subscribe(watch);
    const viaSse = sse.subscribe(watch);
    // Live once a first write arrives at both (a write before the office listens is no event for them).
    for (let attempt = 0; viaWs.events.length === 0 || viaSse.events.length === 0; attempt++) {
      if (attempt > 30) throw new Error(`not live after ${attempt} writes`);
      await update('italy', await versionOf('italy'), `Europe ${attempt}`);
      await Promise.race([
        Promise.all([viaWs.untilEvents(1, 60_000), viaSse.untilEvents(1, 60_000)]),
        new Promise((resolve) => setTimeout(resolve, 1_000)),
      ]);
    }
    const seenBefore = { ws: viaWs.events.length, sse: viaSse.events.length };
    const startVersions = new Map(await Promise.all(ids.map(async (id) => [id, await versionOf(id)] as const)));

    // Each writer changes the records in turn; a lost race (CONFLICT) is read again and retried.
    let committed = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, writerIndex) => {
        for (let write = 0; write < 100; write++) {
          const id = ids[(writerIndex + write) % ids.length]!;
          for (;;) {
            const { body } = await update(id, await versionOf(id), `Region ${writerIndex}-${write}`);
            if (!body.errors) break;
            expect(body.errors[0]?.extensions?.code).toBe('CONFLICT');
          }
          committed++;
        }
      }),
    );
    expect(committed).toBe(1_000);

    for (const [recording, before] of [
      [viaWs, seenBefore.ws],
      [viaSse, seenBefore.sse],
    ] as const) {
      await recording.untilEvents(before + 1_000, 120_000);
      const received = recording.events.slice(before);
      expect(received).toHaveLength(1_000);
      const byRecord = versionsByRecord(
        received.map((event) => (event.data as { partnerChanged: { id: string; version: number } }).partnerChanged),
      );
      // Every committed version of each record, once each, in the order they were committed.
      for (const id of ids) {
        expect(byRecord.get(id)).toEqual(versionsAfter(startVersions.get(id)!, await versionOf(id)));
      }
      expect(recording.codes).toEqual([]);
    }
    viaWs.unsubscribe();
    viaSse.unsubscribe();
    await ws.dispose();
    sse.dispose();
  });
});

describe('live changes through the gateway while the owning office goes away and comes back', () => {
  let system: RunningSystem;
  let proxy: TcpProxy;
  let writer: string;
  beforeAll(async () => {
    // The gateway reaches agreements through a proxy that can cut it off, sockets and all.
    proxy = await startTcpProxy();
    system = await startSystem({
      ...TEST_AUTH,
      SUBGRAPH_URLS: `agreements=${proxy.url}`,
      SUBSCRIPTION_RESUBSCRIBE_MAX_MS: '500',
    });
    proxy.target = new URL(system.subgraphUrls.agreements!).host;
    writer = await makeToken({ subject: 'editor', scopes: ['agreements:write'] });
  });
  afterAll(async () => {
    await system?.stop();
    await proxy?.stop();
  });
  const { write, untilLive, changeOf } = liveHelpers(
    () => system,
    () => writer,
  );

  it('each client gets one SUBSCRIPTION_GAP once re-subscribed, and the stream goes on', async () => {
    const token = await makeToken({ subject: 'watcher' });
    const ws = liveWebSocketClient(system.gatewayUrl, { token });
    const sse = liveSseClient(system.gatewayUrl, { token });
    const viaWs = ws.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    const viaSse = sse.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    await untilLive([viaWs, viaSse]);
    await proxy.cut();
    await proxy.restore();
    for (const recording of [viaWs, viaSse])
      await recording.until((seen) => seen.codes.includes('SUBSCRIPTION_GAP'), 60_000, 'the gap');
    const version = await write();
    for (const recording of [viaWs, viaSse]) {
      await recording.until((seen) => changeOf(seen, version) !== undefined, 30_000, `version ${version}`);
      const gaps = recording.payloads.filter((payload) => payload.errors?.[0]?.extensions?.code === 'SUBSCRIPTION_GAP');
      expect(gaps).toHaveLength(1);
      expect(gaps[0]!.errors![0]!.extensions).toMatchObject({ office: 'agreements' });
      expect(recording.completed).toBe(false);
    }
    viaWs.unsubscribe();
    viaSse.unsubscribe();
    await ws.dispose();
    sse.dispose();
  });
});

describe('a gateway process stopped (SIGTERM) with open subscriptions, in front of the real offices', () => {
  const secret = 'a-signing-secret-for-the-sigterm-test-only';
  let system: RunningSystem;
  let gateway: EntryProcess | undefined;
  let gatewayUrl = '';
  beforeAll(async () => {
    system = await startSystem({ GATEWAY_SIGNING_SECRET: secret });
    gateway = startEntry('gateway/src/main.ts', {
      LOG_LEVEL: 'info',
      PORT: '0',
      NODE_ENV: 'test',
      TRUSTED_DOCUMENTS: 'off',
      GATEWAY_SIGNING_SECRET: secret,
      SUBGRAPH_URLS: Object.entries(system.subgraphUrls)
        .map(([name, url]) => `${name}=${url}`)
        .join(','),
    });
    [, gatewayUrl = ''] = await gateway.waitFor(/"url":"([^"]+)","msg":"gateway listening"/);
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await system?.stop();
  });
  const { untilLive } = liveHelpers(
    () => ({ ...system, gatewayUrl }),
    () => '',
  );

  it('closes each WebSocket with 1001 and ends each SSE stream with SERVER_SHUTTING_DOWN, then exits 0', async () => {
    const ws = liveWebSocketClient(gatewayUrl);
    const sse = liveSseClient(gatewayUrl);
    const viaWs = ws.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    const viaSse = sse.subscribe({ query: WATCH, variables: { ids: [AGREEMENT] } });
    await untilLive([viaWs, viaSse]);
    const exited = gateway!.stop('SIGTERM');
    await viaWs.until((recording) => recording.closed !== undefined, 30_000, 'the close');
    expect(viaWs.closed).toEqual({
      code: 1001,
      reason: 'SERVER_SHUTTING_DOWN: The gateway is stopping; subscribe again.',
    });
    await viaSse.until((recording) => recording.completed, 30_000, 'the end of the stream');
    expect(viaSse.codes.at(-1)).toBe('SERVER_SHUTTING_DOWN');
    expect(await exited).toBe(0);
    await ws.dispose();
    sse.dispose();
  });
});
