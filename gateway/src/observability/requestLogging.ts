import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger, RequestHandler } from '@cip/core';
import type { ContextBuilder, GatewayContext } from '../context.js';
import type { SubgraphRequestHook } from '../execution/subgraphDataSource.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's id is kept only if it looks like an id: short, no spaces or control characters (log injection). */
const ACCEPTABLE_ID = /^[\w.:-]{1,128}$/;

const requestIds = new WeakMap<IncomingMessage, string>();

export function requestIdOf(req: IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) {
    const offered = req.headers[REQUEST_ID_HEADER];
    id = typeof offered === 'string' && ACCEPTABLE_ID.test(offered) ? offered : randomUUID();
    requestIds.set(req, id);
  }
  return id;
}

/**
 * Gives each request an id (the caller's `x-request-id` if sane, else a new UUID), returns it in the
 * `x-request-id` response header, and logs one JSON line per request when it ends: id, method, path,
 * status, duration. Never headers or bodies: they carry tokens and personal data.
 */
export function withRequestLogging(handler: RequestHandler, logger: Logger): RequestHandler {
  return async (req, res) => {
    const requestId = requestIdOf(req);
    const started = process.hrtime.bigint();
    res.setHeader(REQUEST_ID_HEADER, requestId);
    res.once('close', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const path = (req.url ?? '/').split('?')[0];
      logger.info(
        { requestId, method: req.method, path, status: res.statusCode, durationMs, completed: res.writableFinished },
        'request',
      );
    });
    await handler(req, res);
  };
}

/** Puts the request id in the GraphQL context, for the subgraph hook and for plugins' log lines. */
export const requestIdContext: ContextBuilder = (req, context) => {
  context.requestId = requestIdOf(req);
};

/** Sends the request id to every subgraph, so one id follows a request through every office's log. */
export const propagateRequestId: SubgraphRequestHook = (_subgraph, options) => {
  const requestId: unknown = (options.context as Partial<GatewayContext>).requestId;
  if (typeof requestId === 'string') options.request.http?.headers.set(REQUEST_ID_HEADER, requestId);
};
