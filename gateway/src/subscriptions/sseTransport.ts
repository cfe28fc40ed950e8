import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, sendError, type RequestHandler } from '@cip/core';
import type { GraphQLError } from 'graphql';
import { createHandler, type RequestParams } from 'graphql-sse';
import type { GatewayContext } from '../context.js';
import { ANONYMOUS } from '../security/jwt.js';
import { atExpiry, callerKey, type CallerConnections } from './callerConnections.js';
import { errorPayload, openOperation, type LiveDeps } from './liveSubscription.js';

export interface SseTransportDeps extends LiveDeps {
  /** The request's context (its Authorization header verified: the refusal is thrown). */
  readonly createContext: (req: IncomingMessage) => Promise<GatewayContext>;
  readonly connections: CallerConnections;
  readonly maxBodyBytes: number;
}

/** How long a client dropped for being slow gets to read its last event before its response is cut. */
const SLOW_CLIENT_GRACE_MS = 5_000;

/** Whether a request asks for an event stream (GraphQL over SSE) rather than one JSON answer. */
export function wantsEventStream(req: IncomingMessage): boolean {
  return /\btext\/event-stream\b/i.test(req.headers.accept ?? '');
}

function jsonResponse(status: number, body: unknown) {
  return [
    JSON.stringify(body),
    { status, statusText: '', headers: { 'content-type': 'application/json; charset=utf-8' } },
  ] as const;
}

function refusalStatus(error: unknown): { status: number; body: unknown } | undefined {
  const extensions = (error as Partial<GraphQLError> | undefined)?.extensions;
  const http = extensions?.http as { status?: number } | undefined;
  if (typeof extensions?.code !== 'string') return undefined;
  return {
    status: http?.status ?? 400,
    body: { errors: [{ message: (error as Error).message, extensions: { code: extensions.code } }] },
  };
}

/**
 * GraphQL over SSE (graphql-sse's handler, distinct connections mode: one POST with
 * `Accept: text/event-stream` per subscription) on `/graphql`, inside the same CORS, logging and
 * tracing as a POST; the request goes through Apollo's pipeline with its own headers, so CSRF
 * prevention and every plugin apply (liveSubscription.ts). The token is the request's
 * Authorization header; when it expires the stream gets a last `UNAUTHENTICATED` error and ends.
 * graphql-sse reads the events ahead into a queue of its own: what it holds, not yet written to the
 * socket, counts against SUBSCRIPTION_BUFFERED_EVENTS.
 */
export function sseTransport(deps: SseTransportDeps) {
  let stopping = false;

  const handle: RequestHandler = async (req: IncomingMessage, res: ServerResponse) => {
    if ((req.method ?? 'GET').toUpperCase() !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendError(
        res,
        new HttpError(
          'METHOD_NOT_ALLOWED',
          'Subscriptions over SSE are POSTed (JSON body, `Accept: text/event-stream`).',
        ),
      );
    }
    if (stopping)
      return sendError(res, new HttpError('SERVER_SHUTTING_DOWN', 'The gateway is stopping; subscribe again.'));
    const body = (await readBody(req, deps.maxBodyBytes)).toString('utf8');
    let written = 0;
    let release: (() => void) | undefined;
    let cancelExpiry = () => undefined as void;
    const handler = createHandler<IncomingMessage>({
      authenticate: () => null,
      async onSubscribe(_request, params: RequestParams) {
        let context: GatewayContext;
        try {
          context = await deps.createContext(req);
        } catch (error) {
          const refused = refusalStatus(error);
          if (refused) return jsonResponse(refused.status, refused.body);
          throw error;
        }
        release = deps.connections.take(callerKey(context.caller ?? ANONYMOUS, req.socket.remoteAddress));
        if (!release)
          return jsonResponse(
            429,
            errorPayload(
              'SUBSCRIPTION_LIMIT_EXCEEDED',
              `This caller holds ${deps.settings.maxConnectionsPerCaller} subscription connections already.`,
            ),
          );
        const opening = await openOperation(deps, 'sse', params, context, req.headers, () => {
          setTimeout(() => res.destroy(), SLOW_CLIENT_GRACE_MS).unref();
          return errorPayload(
            'SUBSCRIPTION_CLIENT_TOO_SLOW',
            `More than ${deps.settings.maxBufferedEvents} events were waiting for this client.`,
          );
        });
        if (!opening.live) {
          const { answer, status } = opening;
          if (status !== 200 && answer.data === undefined) return jsonResponse(status, answer);
          return { data: null, ...answer } as never;
        }
        const live = opening.live;
        live.events.heldByTransport = () => live.events.taken - written;
        cancelExpiry = atExpiry(context.caller?.expiresAt, () =>
          live.drop('token_expired', 'UNAUTHENTICATED', 'The bearer token expired; sign in again.'),
        );
        return live.events as never;
      },
    });
    try {
      const [payload, init] = await handler({
        method: 'POST',
        url: req.url ?? '/graphql',
        headers: {
          // graphql-sse matches the exact value; this route is only taken for requests that ask for a stream.
          get: (key: string) => {
            if (key === 'accept') return 'text/event-stream';
            const value = req.headers[key.toLowerCase()];
            return Array.isArray(value) ? value.join(', ') : value;
          },
        },
        body,
        raw: req,
        context: undefined,
      });
      res.writeHead(init.status, init.statusText ?? '', init.headers);
      if (!payload || typeof payload === 'string') return void res.end(payload ?? undefined);
      const stop = () => void payload.return(undefined);
      res.once('close', stop);
      for await (const message of payload) {
        if (!res.writable) break;
        // Written to the socket before the next is taken: the socket's own buffer holds one message at most.
        const sent = await new Promise<boolean>((resolve) => res.write(message, (error) => resolve(!error)));
        if (!sent) break;
        if (message.startsWith('event: next')) written++;
      }
      res.off('close', stop);
      res.end();
    } finally {
      release?.();
      cancelExpiry();
    }
  };

  return {
    handle,
    /** Ends every stream with a last `SERVER_SHUTTING_DOWN` error; the HTTP drain then waits for them. */
    stop(): void {
      stopping = true;
      for (const live of [...deps.open])
        if (live.transport === 'sse')
          live.drop('shutdown', 'SERVER_SHUTTING_DOWN', 'The gateway is stopping; subscribe again.');
    },
  };
}
