import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from './lifecycle.js';

/** What graphql-ws hands each callback as `ctx.extra`, as its own `useServer` does. */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** How often an idle socket is pinged; one that does not answer by the next ping is cut. */
const KEEP_ALIVE_MS = 12_000;

/**
 * GraphQL over WebSocket (`graphql-transport-ws`) on a `ws` server, as graphql-ws' `useServer`
 * serves it, but reporting through the process's logger: `useServer` writes a stack to
 * console.error for every frame a client sends over `maxPayload` (ws closes that socket with 1009
 * itself), so any client could fill the logs with lines that are not JSON. A client's socket error
 * is logged at warn without a stack; an error in our own callbacks at error, and its socket closed
 * with graphql-ws' 4500 and no detail (its `useServer` sends the error's message outside production).
 */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined, E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, SocketExtra & Partial<E>>,
  sockets: WebSocketServer,
  logger: Logger,
) {
  const server = makeServer(options);
  sockets.options.handleProtocols = handleProtocols;
  sockets.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  sockets.on('connection', (socket, request) => {
    // A frame the client got wrong: ws is closing the socket already, with the code the error calls for.
    socket.once('error', (error) =>
      logger.warn({ reason: error.message, remoteAddress: request.socket.remoteAddress }, 'WebSocket client error'),
    );
    let pongWait: NodeJS.Timeout | undefined;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data: Buffer) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'WebSocket message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request } as SocketExtra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(pings);
      void closed(code, String(reason));
    });
  });
  return {
    /** Closes every socket with 1001 Going Away and the server. */
    async dispose(): Promise<void> {
      for (const client of sockets.clients) client.close(1001, 'Going away');
      sockets.removeAllListeners();
      await new Promise<void>((resolve, reject) => sockets.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
