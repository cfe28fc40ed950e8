import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorCodes, type ErrorCode } from '@cip/core';
import { serveGraphqlWs } from '@cip/core/graphql-ws';
import { GraphQLError, buildSchema, parse, type ExecutionArgs, type FormattedExecutionResult } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GatewayContext } from '../context.js';
import { ANONYMOUS, type Caller } from '../security/jwt.js';
import { atExpiry, callerKey, type CallerConnections } from './callerConnections.js';
import { openOperation, type LiveDeps, type LiveSubscription, type Opening } from './liveSubscription.js';

/**
 * The WebSocket close codes the gateway ends a client's connection with; the reason starts with
 * the error code (`UNAUTHENTICATED: ...`). 4401 and 4429 are graphql-ws' own (its clients do not
 * retry them), 1008 and 1001 the standard ones.
 */
export const CLOSE = {
  /** The token is invalid, or it expired while the connection was open. */
  unauthenticated: 4401,
  /** The caller holds SUBSCRIPTION_CONNECTIONS_PER_CALLER connections already. */
  tooManyConnections: 4429,
  /** Policy Violation: the client read too slowly (SUBSCRIPTION_BUFFERED_EVENTS). */
  tooSlow: 1008,
  /** Going Away: the gateway is stopping. */
  shuttingDown: 1001,
} as const;

/** A close reason: the code, then what a person can act on (a WebSocket reason holds 123 bytes at most). */
export function closeReason(code: ErrorCode, message: string): string {
  return `${code}: ${message}`.slice(0, 123);
}

export interface WebSocketTransportDeps extends LiveDeps {
  /** The context of a request, from the upgrade (its own Authorization header verified). */
  readonly createContext: (req: IncomingMessage) => Promise<GatewayContext>;
  /** The caller a `connection_init` payload's `authorization` names (or the refusal). */
  readonly authenticate: (authorization: string | undefined) => Promise<Caller>;
  readonly connections: CallerConnections;
  /** Whether a browser page of this origin may open the socket (CORS_ORIGINS, or the gateway's own). */
  readonly allowsOrigin: (req: IncomingMessage) => boolean;
  /** The largest message a client may send (MAX_BODY_BYTES, as a POST body). */
  readonly maxMessageBytes: number;
}

/** Per connection, once `connection_init` is accepted. */
interface Connection {
  readonly context: GatewayContext;
  readonly lives: Set<LiveSubscription>;
  readonly release: () => void;
  readonly cancelExpiry: () => void;
}

/** What graphql-ws hands our `execute` / `subscribe`: an opening, in place of a schema's context. */
type OpenedArgs = ExecutionArgs & { contextValue: Opening };

// graphql-ws picks `subscribe` or `execute` by the document's operation; ours is already resolved,
// so it is given one of these (the schema is never executed: our `execute` and `subscribe` answer).
const PLACEHOLDER_SCHEMA = buildSchema('type Query { _: Boolean } type Subscription { _: Boolean }');
const STREAMED = parse('subscription { _ }');
const ANSWERED = parse('{ _ }');

function authorizationOf(payload: Record<string, unknown> | undefined): string | undefined {
  const value = payload?.authorization ?? payload?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** Answers a refused upgrade as every other refusal: a status and a coded JSON body; the socket is then destroyed. */
function refuseUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
  const status = errorCodes[code].status;
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}

/**
 * GraphQL over WebSocket (graphql-transport-ws, graphql-ws' server) on the gateway's HTTP
 * server, path `/graphql`. The token is verified at connection (the upgrade's Authorization header,
 * or `connection_init`'s `{ authorization: 'Bearer ...' }`), and the connection is closed (4401)
 * when it expires. Each Subscribe goes through Apollo's pipeline like a POST (liveSubscription.ts).
 */
export function webSocketTransport(deps: WebSocketTransportDeps) {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: deps.maxMessageBytes });
  const connections = new WeakMap<WebSocket, Connection>();
  let stopping = false;

  const closeSocket = (socket: WebSocket, closeCode: number, code: ErrorCode, message: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      socket.close(closeCode, closeReason(code, message));
  };

  const server = serveGraphqlWs<Record<string, unknown> | undefined, Record<never, never>>(
    {
      connectionInitWaitTimeout: deps.settings.connectionInitTimeoutMs,
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        let context: GatewayContext;
        try {
          context = await deps.createContext(request);
          const fromPayload = authorizationOf(ctx.connectionParams);
          if (fromPayload !== undefined) context.caller = await deps.authenticate(fromPayload);
        } catch {
          closeSocket(
            socket,
            CLOSE.unauthenticated,
            'UNAUTHENTICATED',
            'The bearer token is invalid or expired; sign in again.',
          );
          return false;
        }
        const caller = context.caller;
        const release = deps.connections.take(callerKey(caller ?? ANONYMOUS, request.socket.remoteAddress));
        if (!release) {
          closeSocket(
            socket,
            CLOSE.tooManyConnections,
            'SUBSCRIPTION_LIMIT_EXCEEDED',
            `This caller holds ${deps.settings.maxConnectionsPerCaller} subscription connections already.`,
          );
          return false;
        }
        const lives = new Set<LiveSubscription>();
        const cancelExpiry = atExpiry(caller?.expiresAt, () => {
          if (lives.size > 0) deps.metrics.dropped.inc({ transport: 'websocket', reason: 'token_expired' }, lives.size);
          closeSocket(socket, CLOSE.unauthenticated, 'UNAUTHENTICATED', 'The bearer token expired; sign in again.');
        });
        connections.set(socket, { context, lives, release, cancelExpiry });
        return true;
      },
      onClose(ctx) {
        const connection = connections.get(ctx.extra.socket);
        connection?.release();
        connection?.cancelExpiry();
      },
      async onSubscribe(ctx, _id, payload) {
        const { socket, request } = ctx.extra;
        const connection = connections.get(socket);
        if (!connection)
          return [new GraphQLError('The connection is not initialised.', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (connection.lives.size >= deps.settings.maxPerConnection) {
          return [
            new GraphQLError(
              `This connection holds ${deps.settings.maxPerConnection} subscriptions already (SUBSCRIPTIONS_PER_CONNECTION): complete one first.`,
              { extensions: { code: 'SUBSCRIPTION_LIMIT_EXCEEDED' } },
            ),
          ];
        }
        // A context of its own per operation (the pipeline's plugins keep per-request state on it),
        // with its own deadline: the connection's was set when it opened.
        const opening = await openOperation(
          deps,
          'websocket',
          payload,
          { ...connection.context, deadline: Date.now() + deps.eventDeadlineMs },
          request.headers,
          () => {
            // The close frame queues behind what the socket holds: a client that reads again gets it.
            closeSocket(
              socket,
              CLOSE.tooSlow,
              'SUBSCRIPTION_CLIENT_TOO_SLOW',
              `More than ${deps.settings.maxBufferedEvents} events were waiting for this client.`,
            );
            return undefined;
          },
        );
        if (opening.live) {
          const live = opening.live;
          connection.lives.add(live);
          void live.events.done.then(() => connection.lives.delete(live));
          return { schema: PLACEHOLDER_SCHEMA, document: STREAMED, contextValue: opening };
        }
        const { answer, status } = opening;
        // Refused before anything ran (no data): graphql-ws' error message, with the codes.
        if (status !== 200 && answer.data === undefined && answer.errors?.length)
          return answer.errors.map(
            (error) =>
              new GraphQLError(error.message, {
                extensions: error.extensions ?? {},
                ...(error.path ? { path: error.path } : {}),
              }),
          );
        return { schema: PLACEHOLDER_SCHEMA, document: ANSWERED, contextValue: opening };
      },
      execute: (args) => (args as OpenedArgs).contextValue.answer as never,
      subscribe: (args) => (args as OpenedArgs).contextValue.live?.events as never,
      // Payloads leave as the transports made them (formatted already, errors coded).
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
    },
    sockets,
    deps.logger,
  );

  return {
    /** For the HTTP server's 'upgrade' event. */
    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/graphql') return refuseUpgrade(socket, 'NOT_FOUND', `No WebSocket at ${path}; use /graphql.`);
      if (stopping) return refuseUpgrade(socket, 'SERVER_SHUTTING_DOWN', 'The gateway is stopping; connect again.');
      if (!deps.allowsOrigin(req))
        return refuseUpgrade(
          socket,
          'CORS_ORIGIN_NOT_ALLOWED',
          `The origin ${req.headers.origin ?? ''} may not open this socket: it is not in CORS_ORIGINS.`,
        );
      sockets.handleUpgrade(req, socket, head, (client) => sockets.emit('connection', client, req));
    },
    /** Closes every connection with 1001 and waits, up to `deadlineMs`, for them to close; then cuts the rest. */
    async stop(deadlineMs: number): Promise<void> {
      stopping = true;
      const open = [...sockets.clients];
      for (const socket of open) {
        const lives = connections.get(socket)?.lives.size ?? 0;
        if (lives > 0) deps.metrics.dropped.inc({ transport: 'websocket', reason: 'shutdown' }, lives);
        closeSocket(socket, CLOSE.shuttingDown, 'SERVER_SHUTTING_DOWN', 'The gateway is stopping; subscribe again.');
      }
      const closed = Promise.all(
        open.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once('close', () => resolve());
            }),
        ),
      );
      const cut = new Promise<void>((resolve) => setTimeout(resolve, deadlineMs).unref());
      await Promise.race([closed, cut]);
      for (const socket of sockets.clients) socket.terminate();
      await server.dispose();
    },
  };
}
