import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sendError, type RequestHandler } from '@cip/core';
import type { CorsSettings } from './config.js';

/**
 * CORS for `/graphql` (docs/security.md): a browser page on an origin of CORS_ORIGINS may query the
 * gateway; any other origin gets no `Access-Control-Allow-Origin`, so its browser keeps the answer
 * from the page. This layer only tells browsers what they may read: CSRF prevention (Apollo
 * Server's, on by default) still refuses a simple cross-site request, one a page can send without a
 * preflight (a form's POST, `text/plain`), whatever its origin.
 */

export const CORS_ALLOWED_METHODS = ['GET', 'POST'] as const;

/** What a GraphQL client sends: the body's type, a token, the client's name (Apollo's and GraphQL's headers), CSRF and plan headers. */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'apollographql-client-name',
  'apollographql-client-version',
  'graphql-client-name',
  'graphql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'query-plan',
  'x-request-id',
  'traceparent',
  'tracestate',
] as const;

/** Response headers a page may read besides the simple ones. */
const EXPOSED_HEADERS = ['x-request-id'];

/** Adds `value` to the response's `Vary`, whoever sets it afterwards (Apollo, the explorer). */
function varyOn(res: ServerResponse, value: string): void {
  const merge = (existing: unknown) => {
    const text = Array.isArray(existing) ? existing.join(',') : typeof existing === 'string' ? existing : '';
    const listed = text
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    return listed.some((part) => part.toLowerCase() === value.toLowerCase()) ? listed : [...listed, value];
  };
  res.setHeader('vary', value);
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = (...args: unknown[]) => {
    const headers = args.find(
      (arg, index): arg is Record<string, unknown> =>
        index > 0 && typeof arg === 'object' && arg !== null && !Array.isArray(arg),
    );
    if (headers && 'vary' in headers) headers.vary = merge(headers.vary).join(', ');
    res.setHeader('vary', merge(res.getHeader('vary')).join(', '));
    return writeHead(...args);
  };
}

function isPreflight(req: IncomingMessage): boolean {
  return req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';
}

/** Wraps the `/graphql` handler with CORS for the origins `settings` allows. */
export function withCors(handler: RequestHandler, settings: CorsSettings): RequestHandler {
  return (req, res) => {
    varyOn(res, 'origin');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && settings.origins.has(origin);
    if (allowed) {
      res.setHeader('access-control-allow-origin', origin);
      if (settings.allowCredentials) res.setHeader('access-control-allow-credentials', 'true');
    }
    if (!isPreflight(req)) {
      if (allowed) res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
      return handler(req, res);
    }
    const method = String(req.headers['access-control-request-method']).toUpperCase();
    if (!allowed || !(CORS_ALLOWED_METHODS as readonly string[]).includes(method)) {
      res.removeHeader('access-control-allow-origin');
      res.removeHeader('access-control-allow-credentials');
      return sendError(
        res,
        new HttpError(
          'CORS_ORIGIN_NOT_ALLOWED',
          allowed
            ? `${method} is not a method this path answers across origins: use GET or POST.`
            : `The origin ${origin ?? '(none)'} may not query this gateway from a browser: it is not in CORS_ORIGINS.`,
        ),
      );
    }
    res.writeHead(204, {
      'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
      'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
      'access-control-max-age': String(settings.maxAgeSeconds),
      'content-length': '0',
    });
    res.end();
  };
}
