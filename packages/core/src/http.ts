import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import { errorCodes, type ErrorCode } from './errors.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A failure of the HTTP exchange itself, before GraphQL runs: answered as a coded JSON error. */
export class HttpError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number = errorCodes[code].status,
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

/** The body of every refusal: one error with its message and its code. */
function errorBody(error: HttpError): { errors: { message: string; extensions: { code: ErrorCode } }[] } {
  return { errors: [{ message: error.message, extensions: { code: error.code } }] };
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, errorBody(error));
}

/** What Node's HTTP parser refuses (by the `code` of its 'clientError'), as the coded error a client is answered with. */
const PARSER_REFUSALS: Readonly<Record<string, readonly [ErrorCode, string]>> = {
  HPE_HEADER_OVERFLOW: ['REQUEST_HEADERS_TOO_LARGE', 'The request headers are larger than this server reads.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [
    'PAYLOAD_TOO_LARGE',
    "The request body's chunk extensions are larger than this server reads.",
  ],
  ERR_HTTP_REQUEST_TIMEOUT: ['REQUEST_TIMEOUT', 'The request did not arrive in time.'],
};

function clientRefusal(error: NodeJS.ErrnoException): HttpError {
  const [code, message] = PARSER_REFUSALS[error.code ?? ''] ?? ['BAD_REQUEST', 'The request is not valid HTTP/1.1.'];
  return new HttpError(code, message);
}

/**
 * An HTTP server for `handler` whose own refusals are coded JSON errors like every other. What
 * Node's parser cannot read (headers over 16 KB, a malformed request line, oversized chunk
 * extensions, a request that does not arrive in time) it answers itself, with a status and no body,
 * unless the server handles 'clientError': there the answer is written straight to the socket.
 */
export function createHttpServer(handler: RequestListener): Server {
  const server = createServer(handler);
  // The responses under way on each socket. Once one has started, a raw answer written to its socket
  // would land inside it (a pipelined request's error arriving mid-response), so that socket is only closed.
  const responses = new WeakMap<Duplex, Set<ServerResponse>>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const underWay = responses.get(req.socket) ?? new Set<ServerResponse>();
    responses.set(req.socket, underWay.add(res));
    res.once('close', () => underWay.delete(res));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const started = [...(responses.get(socket) ?? [])].some((response) => response.headersSent);
    if (!socket.writable || started) return void socket.destroy();
    const refusal = clientRefusal(error);
    const payload = JSON.stringify(errorBody(refusal));
    const head = [
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(payload)}`,
      'connection: close',
    ];
    // The parser cannot go on after its error, so the connection ends once the answer is written.
    socket.end(`${head.join('\r\n')}\r\n\r\n${payload}`, () => socket.destroy());
  });
  return server;
}

/** Reads a request body, refusing (413) as soon as it passes `limitBytes` rather than buffering it all. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limitBytes)
    throw new HttpError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limitBytes} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && /^application\/(graphql-response\+)?json\b/i.test(header.trim());
}

export interface GraphQLHandlerOptions<TContext extends BaseContext> {
  context: (req: IncomingMessage) => Promise<TContext>;
  maxBodyBytes: number;
  /** Called with failures that are not the client's fault, so they reach the log and not the response. */
  onInternalError: (error: unknown) => void;
  /** Checks the request on its raw body (empty for GET) before anything parses it; throws an HttpError to refuse. */
  authenticate?: ((req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>) | undefined;
}

const batchedRequests = new WeakSet<IncomingMessage>();

/**
 * Whether the request's body is a batch (a JSON array of operations): Apollo Server answers a
 * batch with one JSON array, so none of its operations can stream (`@defer`), and all of them share
 * one context.
 */
export function isBatchedRequest(req: IncomingMessage): boolean {
  return batchedRequests.has(req);
}

/** The HTTP front of an Apollo Server: turns a Node request into Apollo's HTTPGraphQLRequest and back. */
export function graphqlHandler<TContext extends BaseContext>(
  server: ApolloServer<TContext>,
  options: GraphQLHandlerOptions<TContext>,
): RequestHandler {
  return async (req, res) => {
    try {
      const method = (req.method ?? 'GET').toUpperCase();
      let body: unknown;
      const raw = method === 'POST' ? await readBody(req, options.maxBodyBytes) : Buffer.alloc(0);
      await options.authenticate?.(req, raw, res);
      if (method === 'POST') {
        if (isJsonContentType(req.headers['content-type']) && raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            throw new HttpError('BAD_REQUEST', 'Request body is not valid JSON.');
          }
          if (Array.isArray(body)) batchedRequests.add(req);
        }
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const queryStart = req.url?.indexOf('?') ?? -1;
      const response = await server.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: queryStart >= 0 ? req.url!.slice(queryStart) : '', body },
        context: () => options.context(req),
      });
      await writeResponse(res, response);
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error);
      options.onInternalError(error);
      if (!res.headersSent) sendError(res, new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error.'));
      else res.destroy();
    }
  };
}

async function writeResponse(res: ServerResponse, response: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * Routes by path (ignoring the query string); anything else is a coded 404. A handler that fails
 * unexpectedly answers 500 rather than leaving the request hanging.
 */
export function routes(
  table: Record<string, RequestHandler>,
  onInternalError: (error: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart >= 0 ? url.slice(0, queryStart) : url;
    const handler = table[path];
    if (!handler) return sendError(res, new HttpError('NOT_FOUND', `No route for ${path}.`));
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        onInternalError(error);
        if (!res.headersSent) sendError(res, new HttpError('INTERNAL_SERVER_ERROR', 'Internal server error.'));
        else res.destroy();
      });
  };
}

/** Starts listening and resolves with the URL, so callers can ask for port 0 and learn the real one. */
export async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${hostname}:${address.port}`;
}

/** Stops accepting, lets in-flight requests finish, then drops idle keep-alive sockets. */
export async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeIdleConnections();
  await closed;
}
