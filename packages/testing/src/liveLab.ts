import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  createSignatureVerifier,
  deriveOfficeKey,
  graphqlHandler,
  listen,
  memoryReplayStore,
  processSigningSecret,
  type VerifiedClaims,
} from '@cip/core';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { compose } from '@cip/schema';
import { parse } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { labGatewayEnv } from './config.js';

/**
 * A small federated graph with live changes, for the gateway's subscriptions: `boards` publishes
 * `boardChanged` over graphql-transport-ws (its upgrade checked with the offices' own signature
 * verifier, as the contract says), `labels` adds a field to `Board`, so every event needs a
 * second office. Real servers on port 0; the gateway under test is the real one (`buildGateway`).
 */
export const BOARDS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@requiresScopes"])
  type Query { board(id: ID!): Board }
  type Subscription { boardChanged(ids: [ID!]): BoardChange! }
  type BoardChange {
    id: ID!
    version: Int!
    board: Board
    "Large on purpose when a test needs events that fill a socket."
    blob: String
    note: String @requiresScopes(scopes: [["boards:notes"]])
  }
  type Board @key(fields: "id") { id: ID! title: String! }
`;

export const LABELS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Board @key(fields: "id") { id: ID! label: String! }
`;

export interface BoardChange {
  id: string;
  version: number;
  blob?: string;
  note?: string;
}

/** What the boards office saw of each WebSocket upgrade. */
export interface Upgrade {
  headers: IncomingMessage['headers'];
  /** The claims its verifier accepted, or the code it refused with. */
  outcome: { ok: true; claims: VerifiedClaims } | { ok: false; code: string };
}

export interface LiveOffice {
  readonly url: string;
  /** Kills the office: stops listening, cuts every socket. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Closes every WebSocket with `code` and `reason` (the office stays up). */
  closeSockets(code: number, reason: string): void;
  stop(): Promise<void>;
}

export interface LiveLab {
  gateway: GatewayApp;
  gatewayUrl: string;
  baseUrl: string;
  supergraphPath: string;
  boards: LiveOffice & {
    readonly upgrades: Upgrade[];
    /** Live `boardChanged` subscriptions at the office now. */
    readonly subscribers: number;
    /** Of those, the ones that name board `id` in their `ids` (tests give each their own ids). */
    subscribersFor(id: string): number;
    /** Resolves once `subscribersFor(id)` is `count`. */
    untilSubscribers(id: string, count: number, timeoutMs?: number): Promise<void>;
    publish(change: BoardChange): void;
  };
  labels: LiveOffice;
  /** The value of one series in the gateway's /metrics (0 when absent). */
  metric(series: string): Promise<number>;
  stop(): Promise<void>;
}

type Subscriber = { ids: readonly string[] | null; push: (change: BoardChange) => void };

async function startOffice(
  name: string,
  sdl: string,
  resolvers: object,
  webSocket?: (server: Server) => { close(): void; closeWith(code: number, reason: string): void },
): Promise<LiveOffice & { server: Server }> {
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never });
  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await apollo.start();
  const answer = graphqlHandler(apollo, {
    context: async () => ({}),
    maxBodyBytes: 1_000_000,
    onInternalError: () => undefined,
  });
  let port = 0;
  let sockets: { close(): void; closeWith(code: number, reason: string): void } | undefined;
  const office = {
    url: '',
    server: undefined as unknown as Server,
    async kill() {
      sockets?.close();
      await new Promise<void>((resolve) => {
        office.server.close(() => resolve());
        office.server.closeAllConnections();
      });
    },
    async restart() {
      office.server = makeServer();
      await listen(office.server, '127.0.0.1', port);
    },
    closeSockets(code: number, reason: string) {
      sockets?.closeWith(code, reason);
    },
    async stop() {
      if (office.server.listening) await office.kill();
      await apollo.stop();
    },
  };
  const makeServer = () => {
    const server = createServer((req, res) => void answer(req, res));
    sockets = webSocket?.(server);
    return server;
  };
  office.server = makeServer();
  const base = await listen(office.server, '127.0.0.1', 0);
  port = Number(new URL(base).port);
  office.url = `${base}/graphql`;
  return office;
}

function refuse(socket: Duplex, code: string): void {
  const body = JSON.stringify({ code });
  socket.end(
    `HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** Starts both offices and a gateway over them; `env` is the gateway's (over the lab's defaults). */
export async function startLiveLab(env: Record<string, string> = {}): Promise<LiveLab> {
  const subscribers = new Set<Subscriber>();
  const upgrades: Upgrade[] = [];
  const master = env.GATEWAY_SIGNING_SECRET ?? processSigningSecret();
  const verify = createSignatureVerifier({
    office: 'boards',
    keys: [deriveOfficeKey(master, 'boards')],
    replays: memoryReplayStore(),
  });

  // An iterator by hand, not an async generator: a generator waiting for its next change would
  // take `return()` only once one came, and the office would count a subscriber that left.
  const changes = (ids: readonly string[] | null): AsyncIterableIterator<BoardChange> => {
    const waiting: BoardChange[] = [];
    let wake: ((result: IteratorResult<BoardChange>) => void) | undefined;
    const subscriber: Subscriber = {
      ids,
      push: (change) => {
        if (wake) {
          const resolve = wake;
          wake = undefined;
          resolve({ value: change, done: false });
        } else waiting.push(change);
      },
    };
    subscribers.add(subscriber);
    const iterator: AsyncIterableIterator<BoardChange> = {
      next: () => {
        const next = waiting.shift();
        if (next) return Promise.resolve({ value: next, done: false });
        if (!subscribers.has(subscriber)) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (wake = resolve));
      },
      return: () => {
        subscribers.delete(subscriber);
        wake?.({ value: undefined, done: true });
        wake = undefined;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };

  const boardsResolvers = {
    Query: { board: (_: unknown, { id }: { id: string }) => ({ id }) },
    Subscription: {
      boardChanged: {
        subscribe: (_: unknown, { ids }: { ids?: string[] | null }) => changes(ids ?? null),
        resolve: (change: BoardChange) => change,
      },
    },
    BoardChange: { board: (change: BoardChange) => ({ id: change.id }) },
    Board: { __resolveReference: (ref: { id: string }) => ref, title: ({ id }: { id: string }) => `Board ${id}` },
  };
  const boardsSchema = buildSubgraphSchema({ typeDefs: parse(BOARDS_SDL), resolvers: boardsResolvers });

  const boards = await startOffice('boards', BOARDS_SDL, boardsResolvers, (server) => {
    const sockets = new WebSocketServer({ noServer: true });
    const claimsOf = new WeakMap<IncomingMessage, VerifiedClaims>();
    useServer({ schema: boardsSchema, context: (ctx) => ({ claims: claimsOf.get(ctx.extra.request) }) }, sockets);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      void verify({
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        signature: header(GATEWAY_SIGNATURE_HEADER),
        claims: header(GATEWAY_CLAIMS_HEADER),
        body: new Uint8Array(),
      }).then((check) => {
        upgrades.push({
          headers: req.headers,
          outcome: check.ok ? { ok: true, claims: check.claims } : { ok: false, code: check.code },
        });
        if (!check.ok) return refuse(socket, check.code);
        claimsOf.set(req, check.claims);
        sockets.handleUpgrade(req, socket, head, (client) => sockets.emit('connection', client, req));
      });
    });
    return {
      close: () => {
        for (const client of sockets.clients) client.terminate();
      },
      closeWith: (code: number, reason: string) => {
        for (const client of sockets.clients) client.close(code, reason);
      },
    };
  });
  const subscribersFor = (id: string) =>
    [...subscribers].filter((subscriber) => subscriber.ids?.includes(id) ?? false).length;
  const labels = await startOffice('labels', LABELS_SDL, {
    Board: { __resolveReference: (ref: { id: string }) => ref, label: ({ id }: { id: string }) => `label-${id}` },
  });

  const outcome = compose([
    { name: 'boards', routingUrl: boards.url, schemaPath: 'boards.graphql', sdl: BOARDS_SDL },
    { name: 'labels', routingUrl: labels.url, schemaPath: 'labels.graphql', sdl: LABELS_SDL },
  ]);
  if (!outcome.ok) throw new Error(outcome.errors.map((error) => error.message).join('\n'));
  const dir = await mkdtemp(join(tmpdir(), 'cip-live-lab-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, outcome.supergraphSdl);
  const config = parseGatewayConfig({
    ...labGatewayEnv(supergraphPath),
    SUBSCRIPTION_RESUBSCRIBE_BASE_MS: '20',
    SUBSCRIPTION_RESUBSCRIBE_MAX_MS: '200',
    ...env,
  });
  const gateway = await buildGateway(config, pino({ level: 'silent' }));
  const baseUrl = await gateway.listen('127.0.0.1', 0);
  return {
    gateway,
    gatewayUrl: `${baseUrl}/graphql`,
    baseUrl,
    supergraphPath,
    boards: Object.defineProperties(
      Object.assign(boards, {
        upgrades,
        subscribers: 0,
        subscribersFor,
        async untilSubscribers(id: string, count: number, timeoutMs = 30_000) {
          const deadline = Date.now() + timeoutMs;
          while (subscribersFor(id) !== count) {
            if (Date.now() > deadline)
              throw new Error(`board ${id} has ${subscribersFor(id)} subscribers, not ${count}`);
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        },
        publish(change: BoardChange) {
          for (const subscriber of subscribers) {
            if (!subscriber.ids || subscriber.ids.includes(change.id)) subscriber.push(change);
          }
        },
      }),
      { subscribers: { get: () => subscribers.size } },
    ),
    labels,
    async metric(series) {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
    async stop() {
      await gateway.stop();
      await boards.stop();
      await labels.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
