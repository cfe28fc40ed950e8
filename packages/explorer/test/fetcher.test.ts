import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createExplorerFetcher, HTTP_ACCEPT, socketUrl } from '../app/fetcher';
import { lastRun } from '../app/lastRun';

// The explorer's fetcher against a real HTTP server and a real graphql-ws server on one port, as the
// gateway serves both on /graphql: what it sends, and what it hands GraphiQL as the answers come.

const PLAN = { text: 'QueryPlan {}', subgraphs: ['partners'], fetches: [], calls: [] };
const SUBSCRIPTION_PLAN = { ...PLAN, outline: { kind: 'Subscription', primary: { subgraph: 'partners' } } };

/**
 * Events pushed by the test to every live subscription. Each subscription's stream ends at once on
 * `return()`, as a real event source does (a generator would wait for its next event first).
 */
function eventSource() {
  const live = new Set<(value: number | undefined) => void>();
  const subscribe = (): AsyncIterableIterator<{ changed: number }> => {
    const queued: number[] = [];
    let waiting: ((value: number | undefined) => void) | undefined;
    const deliver = (value: number | undefined) => {
      if (waiting) [waiting, (waiting = undefined)][0]!(value);
      else if (value !== undefined) queued.push(value);
    };
    live.add(deliver);
    const stream: AsyncIterableIterator<{ changed: number }> = {
      next: async () => {
        const value =
          queued.length > 0 ? queued.shift() : await new Promise<number | undefined>((resolve) => (waiting = resolve));
        return value === undefined ? { done: true, value: undefined } : { done: false, value: { changed: value } };
      },
      return: async () => {
        live.delete(deliver);
        deliver(undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => stream,
    };
    return stream;
  };
  return { subscribe, publish: (value: number) => live.forEach((deliver) => deliver(value)), live: () => live.size };
}

const schema = buildSchema('type Query { hello: String } type Subscription { changed: Int }');
const events = eventSource();
let completed = 0;
const connections: unknown[] = [];
const subscribed: unknown[] = [];
const posts: { headers: IncomingMessage['headers']; body: any }[] = [];
/** Lets a test hold the deferred part back until it has seen the first one. */
let releaseDeferred: () => void = () => undefined;

async function answerPost(req: IncomingMessage, res: ServerResponse) {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  const body = JSON.parse(text);
  posts.push({ headers: req.headers, body });
  if (!String(body.query).includes('@defer')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { hello: 'world' }, extensions: { queryPlan: PLAN, traceId: 'kept' } }));
    return;
  }
  // Apollo's incremental delivery, as the gateway sends it for a deferred query.
  res.writeHead(200, { 'content-type': 'multipart/mixed;boundary="-";deferSpec=20220824' });
  // As Apollo Server and Router write it: a delimiter before the first part and after each one.
  const part = (payload: unknown, last = false) =>
    `content-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(payload)}\r\n${last ? '-----' : '---'}\r\n`;
  res.write('\r\n---\r\n');
  res.write(part({ data: { partner: { name: 'Canada' } }, hasNext: true, extensions: { queryPlan: PLAN } }));
  await new Promise<void>((resolve) => (releaseDeferred = resolve));
  res.write(
    part(
      {
        incremental: [
          {
            data: { agreements: null },
            path: ['partner'],
            errors: [{ message: 'down', path: ['partner', 'agreements'], extensions: { subgraph: 'agreements' } }],
          },
        ],
        hasNext: false,
      },
      true,
    ),
  );
  res.end();
}

let server: Server;
let sockets: WebSocketServer;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => void answerPost(req, res));
  sockets = new WebSocketServer({ server, path: '/graphql' });
  useServer(
    {
      schema,
      roots: {
        subscription: {
          changed: events.subscribe,
        },
      },
      onConnect: (ctx) => void connections.push(ctx.connectionParams),
      onSubscribe: (_ctx, _id, payload) => void subscribed.push(payload),
      // As the gateway does for a subscriber who asked: the plan rides on the events.
      onNext: (_ctx, _id, payload, _args, result) =>
        payload.extensions?.queryPlan === true
          ? { data: result.data ?? null, extensions: { queryPlan: SUBSCRIPTION_PLAN } }
          : undefined,
      onComplete: () => void completed++,
    },
    sockets,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  for (const socket of sockets.clients) socket.terminate();
  sockets.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  posts.length = 0;
  connections.length = 0;
  subscribed.length = 0;
});

const fetcher = () => createExplorerFetcher(endpoint, { fetch, webSocketImpl: WebSocket });

async function* drain(answer: unknown): AsyncGenerator<unknown> {
  if (answer && typeof answer === 'object' && Symbol.asyncIterator in answer) yield* answer as AsyncIterable<unknown>;
  else yield answer;
}

describe('createExplorerFetcher', () => {
  test('socketUrl: ws:// for http, wss:// for https, same host and path', () => {
    expect(socketUrl('http://127.0.0.1:4000/graphql')).toBe('ws://127.0.0.1:4000/graphql');
    expect(socketUrl('https://graph.example/graphql')).toBe('wss://graph.example/graphql');
  });

  test('asks over HTTP for multipart answers and the plan, drops a bare Bearer, and moves the plan to the panel', async () => {
    const query = 'query Hello { hello }';
    const answers = [];
    for await (const answer of drain(
      await fetcher()(
        { query, operationName: 'Hello' },
        { headers: { Authorization: 'Bearer ', 'x-note': ' ' }, documentAST: parse(query) },
      ),
    ))
      answers.push(answer);
    expect(answers).toEqual([{ data: { hello: 'world' }, extensions: { traceId: 'kept' } }]);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.headers.accept).toBe(HTTP_ACCEPT);
    expect(posts[0]!.headers.accept).toContain('multipart/mixed;deferSpec=20220824');
    expect(posts[0]!.headers['query-plan']).toBe('include');
    expect(posts[0]!.headers.authorization).toBeUndefined();
    expect(posts[0]!.headers['x-note']).toBeUndefined();
    expect(lastRun.get()).toEqual({ operationName: 'Hello', plan: PLAN, kind: 'operation', payloads: 1, errors: [] });
  });

  test('hands GraphiQL each deferred part as it arrives, and names the office of an error in a later part', async () => {
    const query = 'query Deferred { partner { name ... @defer { agreements { title } } } }';
    const answer = await fetcher()({ query, operationName: 'Deferred' }, { documentAST: parse(query) });
    const parts = (answer as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    // The first part is here while the server still holds the deferred one back.
    expect((await parts.next()).value).toEqual([{ data: { partner: { name: 'Canada' } }, hasNext: true }]);
    expect(lastRun.get()).toMatchObject({ plan: PLAN, payloads: 1, errors: [] });
    releaseDeferred();
    expect((await parts.next()).value).toEqual([
      expect.objectContaining({ incremental: [expect.objectContaining({ path: ['partner'] })], hasNext: false }),
    ]);
    expect(lastRun.get()).toMatchObject({
      plan: PLAN,
      payloads: 2,
      errors: [{ subgraph: 'agreements', message: 'down' }],
    });
    expect((await parts.next()).done).toBe(true);
  });

  test('streams a subscription over graphql-ws with the token in connection_init, and stops it on return()', async () => {
    const query = 'subscription Live { changed }';
    const answer = await fetcher()(
      { query, operationName: 'Live' },
      { headers: { Authorization: 'Bearer token-1' }, documentAST: parse(query) },
    );
    expect(lastRun.get()).toMatchObject({ operationName: 'Live', kind: 'subscription', payloads: 0 });
    const stream = (answer as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const first = stream.next();
    await expect.poll(() => events.live()).toBe(1);
    events.publish(1);
    expect((await first).value).toEqual({ data: { changed: 1 } });
    events.publish(2);
    expect((await stream.next()).value).toEqual({ data: { changed: 2 } });
    expect(lastRun.get()).toMatchObject({ kind: 'subscription', payloads: 2, plan: SUBSCRIPTION_PLAN });
    expect(connections).toEqual([{ authorization: 'Bearer token-1' }]);
    expect(subscribed).toEqual([expect.objectContaining({ query, extensions: { queryPlan: true } })]);
    expect(posts).toEqual([]);

    // Stopped while waiting for an event that never comes: the subscription ends at the server anyway.
    const before = completed;
    const pending = stream.next();
    await stream.return!();
    await expect.poll(() => completed).toBe(before + 1);
    expect(events.live()).toBe(0);
    expect((await pending).done).toBe(true);
  });

  test('opens a new connection when the token changes, none without a token', async () => {
    const explorerFetcher = fetcher();
    const query = 'subscription { changed }';
    for (const headers of [
      { Authorization: 'Bearer a' },
      { Authorization: 'Bearer b' },
      { Authorization: 'Bearer ' },
    ]) {
      const stream = (
        (await explorerFetcher({ query }, { headers, documentAST: parse(query) })) as AsyncIterable<unknown>
      )[Symbol.asyncIterator]();
      const next = stream.next();
      await expect.poll(() => events.live()).toBe(1);
      events.publish(3);
      await next;
      await stream.return!();
      await expect.poll(() => events.live()).toBe(0);
    }
    expect(connections).toEqual([{ authorization: 'Bearer a' }, { authorization: 'Bearer b' }, {}]);
  });
});
