import { readFile, rename, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { liveSseClient, liveWebSocketClient, rawWebSocketSubscriber } from '@cip/testing/live-clients';
import { startLiveLab, type LiveLab } from '@cip/testing/live-lab';
import { startEntry, type EntryProcess } from '@cip/testing/processes';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * The gateway's subscriptions over a graph built for them (@cip/testing's live lab): planned by the
 * gateway's planner, subscribed to the owning office over a signed socket, each event completed
 * with another office's fields, over GraphQL over WebSocket and over SSE; limits, gaps, expiry.
 */

const BOARD_CHANGED = `subscription Watch($ids: [ID!]) {
  boardChanged(ids: $ids) { id version board { id title label } }
}`;

describe('subscriptions through the gateway (open gateway)', () => {
  let lab: LiveLab;
  beforeAll(async () => {
    lab = await startLiveLab({
      SUBSCRIPTION_BUFFERED_EVENTS: '3',
      SUBSCRIPTIONS_PER_CONNECTION: '2',
      // Short, so that a connection older than it shows whether each operation gets its own.
      REQUEST_DEADLINE_MS: '2000',
    });
  });
  afterAll(() => lab?.stop());

  it("an event reaches a graphql-ws client and an SSE client with the other office's field", async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const sse = liveSseClient(lab.gatewayUrl);
    const viaWs = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['b1'] } });
    const viaSse = sse.subscribe({ query: BOARD_CHANGED, variables: { ids: ['b1'] } });
    await lab.boards.untilSubscribers('b1', 2);
    lab.boards.publish({ id: 'b2', version: 1 });
    lab.boards.publish({ id: 'b1', version: 2 });
    const expected = {
      boardChanged: { id: 'b1', version: 2, board: { id: 'b1', title: 'Board b1', label: 'label-b1' } },
    };
    await viaWs.untilEvents(1);
    await viaSse.untilEvents(1);
    expect(viaWs.payloads).toEqual([{ data: expected }]);
    expect(viaSse.payloads).toEqual([{ data: expected }]);
    // The upgrade was signed for boards, GET /graphql, empty body, with the caller's claims.
    expect(lab.boards.upgrades.at(-1)?.outcome).toMatchObject({ ok: true, claims: { unrestricted: true } });
    expect(await lab.metric('cip_gateway_subscriptions_open{transport="websocket"}')).toBe(1);
    viaWs.unsubscribe();
    viaSse.unsubscribe();
    await lab.boards.untilSubscribers('b1', 0);
    await ws.dispose();
    sse.dispose();
    expect(await lab.metric('cip_gateway_subscription_events_total{transport="sse"}')).toBeGreaterThanOrEqual(1);
  });

  it('a subscription in a plain POST is refused with its code', async () => {
    const { status, body } = await post(lab.gatewayUrl, { query: BOARD_CHANGED });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('OPERATION_NOT_SUPPORTED');
  });

  it('SSE keeps the rules of a POST: a simple (CSRF-able) request is refused, GET is 405, a foreign page may not open a socket', async () => {
    const sse = (headers: Record<string, string>, method = 'POST') =>
      fetch(lab.gatewayUrl, {
        method,
        headers: { accept: 'text/event-stream', ...headers },
        ...(method === 'POST' ? { body: JSON.stringify({ query: BOARD_CHANGED }) } : {}),
      });
    // A form's POST or text/plain, which a page on any origin can send without a preflight.
    const simple = await sse({ 'content-type': 'text/plain' });
    expect(simple.status).toBe(415);
    await simple.body?.cancel();
    const byGet = await sse({}, 'GET');
    expect(byGet.status).toBe(405);
    expect(byGet.headers.get('allow')).toBe('POST');
    expect(((await byGet.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'METHOD_NOT_ALLOWED',
    );
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(lab.gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', {
        headers: { origin: 'https://elsewhere.invalid' },
      });
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => reject(new Error('a foreign origin opened a socket')));
      socket.once('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('an invalid subscription is a graphql-ws error with a code, and the connection stays', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const invalid = ws.subscribe({ query: 'subscription { boardChanged { nope } }' });
    await invalid.until((recording) => recording.completed);
    expect((invalid.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
    // Queries are answered over the socket too, once, each within its own deadline (not the
    // connection's: a subscription keeps this one open past REQUEST_DEADLINE_MS).
    const keeper = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['keeper'] } });
    await lab.boards.untilSubscribers('keeper', 1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const query = ws.subscribe({ query: '{ board(id: "b9") { title label } }' });
    await query.until((recording) => recording.completed);
    expect(query.payloads).toEqual([{ data: { board: { title: 'Board b9', label: 'label-b9' } } }]);
    keeper.unsubscribe();
    await lab.boards.untilSubscribers('keeper', 0);
    await ws.dispose();
  });

  it('subscriptions per connection are limited, with the code', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const limited = { query: BOARD_CHANGED, variables: { ids: ['limit'] } };
    const first = ws.subscribe(limited);
    const second = ws.subscribe(limited);
    await lab.boards.untilSubscribers('limit', 2);
    const third = ws.subscribe(limited);
    await third.until((recording) => recording.completed);
    expect((third.error as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe(
      'SUBSCRIPTION_LIMIT_EXCEEDED',
    );
    first.unsubscribe();
    second.unsubscribe();
    await lab.boards.untilSubscribers('limit', 0);
    await ws.dispose();
  });

  it('an office restart is reported as one gap, and the subscription goes on', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const watching = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['b3'] } });
    await lab.boards.untilSubscribers('b3', 1);
    lab.boards.publish({ id: 'b3', version: 1 });
    await watching.untilEvents(1);
    await lab.boards.kill();
    await lab.boards.restart();
    await lab.boards.untilSubscribers('b3', 1);
    await watching.until((recording) => recording.codes.includes('SUBSCRIPTION_GAP'), 30_000, 'the gap');
    lab.boards.publish({ id: 'b3', version: 2 });
    await watching.untilEvents(2);
    const gaps = watching.payloads.filter((payload) => payload.errors?.[0]?.extensions?.code === 'SUBSCRIPTION_GAP');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.errors![0]!.extensions).toMatchObject({
      office: 'boards',
      since: expect.any(String),
      until: expect.any(String),
    });
    expect(
      watching.events.map((event) => (event.data as { boardChanged: { version: number } }).boardChanged.version),
    ).toEqual([1, 2]);
    expect(watching.completed).toBe(false);
    watching.unsubscribe();
    await lab.boards.untilSubscribers('b3', 0);
    await ws.dispose();
  });

  it('an office that lost its change feed (close 1011) is subscribed to again, with a gap', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const watching = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['b4'] } });
    await lab.boards.untilSubscribers('b4', 1);
    lab.boards.closeSockets(1011, 'CHANGE_FEED_LOST');
    await watching.until((recording) => recording.codes.includes('SUBSCRIPTION_GAP'), 30_000, 'the gap');
    await lab.boards.untilSubscribers('b4', 1);
    lab.boards.publish({ id: 'b4', version: 1 });
    await watching.untilEvents(1);
    expect(watching.completed).toBe(false);
    watching.unsubscribe();
    await lab.boards.untilSubscribers('b4', 0);
    await ws.dispose();
  });

  it('a client that stops reading is dropped with 1008 and the code; the gateway holds no more', async () => {
    const slow = await rawWebSocketSubscriber(lab.gatewayUrl, {
      query: 'subscription { boardChanged(ids: ["slow"]) { id version blob } }',
    });
    await lab.boards.untilSubscribers('slow', 1);
    slow.pause();
    const blob = 'x'.repeat(512 * 1024);
    const droppedBefore = await lab.metric(
      'cip_gateway_subscriptions_dropped_total{transport="websocket",reason="too_slow"}',
    );
    for (let version = 1; version <= 200; version++) {
      lab.boards.publish({ id: 'slow', version, blob });
      if (version % 10 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (
          (await lab.metric('cip_gateway_subscriptions_dropped_total{transport="websocket",reason="too_slow"}')) >
          droppedBefore
        )
          break;
      }
    }
    expect(await lab.metric('cip_gateway_subscriptions_dropped_total{transport="websocket",reason="too_slow"}')).toBe(
      droppedBefore + 1,
    );
    // Dropped: the office subscription is gone at once, whatever the client's socket still holds.
    await lab.boards.untilSubscribers('slow', 0);
    slow.resume();
    await slow.recording.until((recording) => recording.closed !== undefined, 60_000, 'the close');
    expect(slow.recording.closed?.code).toBe(1008);
    expect(slow.recording.closed?.reason).toMatch(/^SUBSCRIPTION_CLIENT_TOO_SLOW: /);
    // What reached the client before the close: in order, never more than were sent.
    const versions = slow.recording.events.map(
      (event) => (event.data as { boardChanged: { version: number } }).boardChanged.version,
    );
    expect(versions).toEqual(versions.map((_, index) => index + 1));
  });
});

describe('subscriptions through the gateway across a supergraph reload', () => {
  let lab: LiveLab;
  beforeAll(async () => {
    lab = await startLiveLab({ SUPERGRAPH_WATCH: 'true', SUPERGRAPH_POLL_MS: '50' });
  });
  afterAll(() => lab?.stop());

  it('a changed supergraph ends each open subscription with SUBSCRIPTION_SCHEMA_RELOAD; the socket stays, and serves the new one', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl);
    const sse = liveSseClient(lab.gatewayUrl);
    const viaWs = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['r1'] } });
    const viaSse = sse.subscribe({ query: BOARD_CHANGED, variables: { ids: ['r1'] } });
    await lab.boards.untilSubscribers('r1', 2);

    const supergraph = await readFile(lab.supergraphPath, 'utf8');
    expect(supergraph).toMatch(/^type Query/m);
    await writeFile(`${lab.supergraphPath}.next`, supergraph.replace(/^type Query/m, '"""Reloaded."""\ntype Query'));
    await rename(`${lab.supergraphPath}.next`, lab.supergraphPath);

    for (const recording of [viaWs, viaSse]) {
      await recording.until((seen) => seen.completed, 30_000, 'the subscription to end');
      expect(recording.payloads).toEqual([
        {
          errors: [
            {
              message: "The gateway's supergraph changed, which ended this subscription: subscribe again.",
              extensions: { code: 'SUBSCRIPTION_SCHEMA_RELOAD' },
            },
          ],
        },
      ]);
      expect(recording.error).toBeUndefined();
    }
    await lab.boards.untilSubscribers('r1', 0);
    expect(ws.closes).toEqual([]);
    expect(
      await lab.metric('cip_gateway_subscriptions_dropped_total{transport="websocket",reason="schema_reload"}'),
    ).toBe(1);
    expect(await lab.metric('cip_gateway_subscriptions_dropped_total{transport="sse",reason="schema_reload"}')).toBe(1);

    // Subscribed again on the same socket, on the new supergraph.
    const again = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['r2'] } });
    await lab.boards.untilSubscribers('r2', 1);
    lab.boards.publish({ id: 'r2', version: 1 });
    await again.untilEvents(1);
    expect(again.payloads).toEqual([
      { data: { boardChanged: { id: 'r2', version: 1, board: { id: 'r2', title: 'Board r2', label: 'label-r2' } } } },
    ]);
    again.unsubscribe();
    await ws.dispose();
    sse.dispose();
  });
});

describe('subscriptions through the gateway (tokens)', () => {
  let lab: LiveLab;
  beforeAll(async () => {
    lab = await startLiveLab({ ...TEST_AUTH, SUBSCRIPTION_CONNECTIONS_PER_CALLER: '2' });
  });
  afterAll(() => lab?.stop());

  it('a restricted field of an event is null with UNAUTHORIZED_FIELD_OR_TYPE for a caller without the scope', async () => {
    const query = 'subscription { boardChanged(ids: ["n1"]) { id note } }';
    const without = liveWebSocketClient(lab.gatewayUrl, { token: await makeToken() });
    const holder = liveSseClient(lab.gatewayUrl, { token: await makeToken({ scopes: ['boards:notes'] }) });
    const denied = without.subscribe({ query });
    const allowed = holder.subscribe({ query });
    await lab.boards.untilSubscribers('n1', 2);
    lab.boards.publish({ id: 'n1', version: 1, note: 'private' });
    await denied.untilEvents(1);
    await allowed.untilEvents(1);
    expect(denied.payloads[0]).toEqual({
      data: { boardChanged: { id: 'n1', note: null } },
      errors: [
        expect.objectContaining({ path: ['boardChanged', 'note'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
      ],
    });
    expect(allowed.payloads[0]).toEqual({ data: { boardChanged: { id: 'n1', note: 'private' } } });
    // The office was told who the caller is, on the signed upgrade.
    expect(
      lab.boards.upgrades.some(
        (upgrade) => upgrade.outcome.ok && upgrade.outcome.claims.scopes.includes('boards:notes'),
      ),
    ).toBe(true);
    await without.dispose();
    holder.dispose();
  });

  it('an invalid token closes the connection with 4401; an SSE request gets 401', async () => {
    const ws = liveWebSocketClient(lab.gatewayUrl, { token: 'not-a-token' });
    const refused = ws.subscribe({ query: BOARD_CHANGED });
    await refused.until((recording) => recording.closed !== undefined);
    expect(refused.closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^UNAUTHENTICATED: /) });
    const response = await fetch(lab.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer nope' },
      body: JSON.stringify({ query: BOARD_CHANGED }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'UNAUTHENTICATED',
    );
  });

  it('a token that expires mid-subscription closes the socket with 4401 and ends an SSE stream with the code', async () => {
    const token = await makeToken({ expiresIn: 2 });
    const ws = liveWebSocketClient(lab.gatewayUrl, { token });
    const sse = liveSseClient(lab.gatewayUrl, { token });
    const viaWs = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['e1'] } });
    const viaSse = sse.subscribe({ query: BOARD_CHANGED, variables: { ids: ['e1'] } });
    await lab.boards.untilSubscribers('e1', 2);
    lab.boards.publish({ id: 'e1', version: 1 });
    await viaWs.untilEvents(1);
    await viaSse.untilEvents(1);
    await viaWs.until((recording) => recording.closed !== undefined, 30_000, 'the close');
    expect(viaWs.closed).toEqual({ code: 4401, reason: 'UNAUTHENTICATED: The bearer token expired; sign in again.' });
    await viaSse.until((recording) => recording.completed, 30_000, 'the end of the stream');
    expect(viaSse.codes).toEqual(['UNAUTHENTICATED']);
    await lab.boards.untilSubscribers('e1', 0);
    await ws.dispose();
    sse.dispose();
  });

  it('connections per caller are limited (4429 and the code; 429 over SSE)', async () => {
    const token = await makeToken({ subject: 'many' });
    const clients = [liveWebSocketClient(lab.gatewayUrl, { token }), liveWebSocketClient(lab.gatewayUrl, { token })];
    const open = clients.map((client) => client.subscribe({ query: BOARD_CHANGED, variables: { ids: ['many'] } }));
    await lab.boards.untilSubscribers('many', 2);
    const third = liveWebSocketClient(lab.gatewayUrl, { token }).subscribe({ query: BOARD_CHANGED });
    await third.until((recording) => recording.closed !== undefined);
    expect(third.closed).toMatchObject({ code: 4429, reason: expect.stringMatching(/^SUBSCRIPTION_LIMIT_EXCEEDED: /) });
    const response = await fetch(lab.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: BOARD_CHANGED }),
    });
    expect(response.status).toBe(429);
    for (const recording of open) recording.unsubscribe();
    for (const client of clients) await client.dispose();
  });
});

describe('gateway SIGTERM with open subscriptions', () => {
  const secret = 'a-signing-secret-for-the-sigterm-test-only';
  let lab: LiveLab;
  let gateway: EntryProcess | undefined;
  beforeAll(async () => {
    lab = await startLiveLab({ GATEWAY_SIGNING_SECRET: secret });
  });
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await lab?.stop();
  });

  it('closes each WebSocket with 1001 and ends each SSE stream with the code, then exits 0', async () => {
    gateway = startEntry('gateway/src/main.ts', {
      LOG_LEVEL: 'info',
      PORT: '0',
      NODE_ENV: 'test',
      SUPERGRAPH_PATH: lab.supergraphPath,
      SUPERGRAPH_WATCH: 'false',
      TRUSTED_DOCUMENTS: 'off',
      GATEWAY_SIGNING_SECRET: secret,
    });
    const [, url] = await gateway.waitFor(/"url":"([^"]+)","msg":"gateway listening"/);
    const ws = liveWebSocketClient(url!);
    const sse = liveSseClient(url!);
    const viaWs = ws.subscribe({ query: BOARD_CHANGED, variables: { ids: ['t1'] } });
    const viaSse = sse.subscribe({ query: BOARD_CHANGED, variables: { ids: ['t1'] } });
    await lab.boards.untilSubscribers('t1', 2);
    lab.boards.publish({ id: 't1', version: 1 });
    await viaWs.untilEvents(1);
    await viaSse.untilEvents(1);
    const exited = gateway.stop('SIGTERM');
    await viaWs.until((recording) => recording.closed !== undefined, 30_000, 'the close');
    expect(viaWs.closed).toEqual({
      code: 1001,
      reason: 'SERVER_SHUTTING_DOWN: The gateway is stopping; subscribe again.',
    });
    await viaSse.until((recording) => recording.completed, 30_000, 'the end of the stream');
    expect(viaSse.codes).toEqual(['SERVER_SHUTTING_DOWN']);
    expect(await exited).toBe(0);
    // Its office sockets went with it.
    await lab.boards.untilSubscribers('t1', 0);
    await ws.dispose();
    sse.dispose();
  });
});
