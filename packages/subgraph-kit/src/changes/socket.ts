import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { HttpError, codedError, sendError, type Logger, type VerifiedClaims } from '@cip/core';
import { serveGraphqlWs } from '@cip/core/graphql-ws';
import {
  GraphQLError,
  OperationTypeNode,
  createSourceEventStream,
  execute,
  getOperationAST,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { WebSocketServer } from 'ws';

export interface ChangeSocketOptions {
  httpServer: Server;
  /** The path upgrades are served on (the office's `/graphql`). */
  path: string;
  /** The office's subgraph schema, field rules enforced (the same one its HTTP requests run on). */
  schema: GraphQLSchema;
  /**
   * The office's check of a request (its HTTP `/graphql` check, gatewaySignature.ts), run on the
   * upgrade with an empty body; throws an HttpError to refuse. Undefined: every upgrade is let through.
   */
  authenticate: ((req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>) | undefined;
  /** The claims `authenticate` verified for the upgrade: the caller of every operation on that socket. */
  callerOf(req: IncomingMessage): VerifiedClaims;
  /** A fresh context for `caller`: built for each subscription and again for each event, so no read is cached across events. */
  contextFor(caller: VerifiedClaims): object;
  /** Subscriptions one socket may hold at once. */
  maxSubscriptionsPerConnection: number;
  /** The largest message a socket takes (the office's request body limit): a larger one closes it with 1009. */
  maxMessageBytes: number;
  /** In production an unexpected error's message is replaced (as on HTTP): never a stack or SQL. */
  production: boolean;
  logger: Logger;
}

export interface ChangeSocket {
  /** Open sockets now. */
  readonly connections: number;
  /** Closes every socket with `code` (the change feed was lost: the gateway subscribes again). */
  closeAll(code: number, reason: string): void;
  /** Stops taking upgrades and closes every socket with 1001 Going Away, waiting up to `graceMs` for each to close. */
  close(graceMs: number): Promise<void>;
}

/**
 * Serves the office's subscriptions over `graphql-transport-ws` on its HTTP server: the upgrade
 * is refused with the same status and JSON body as a refused HTTP request, then each operation is
 * checked (subscriptions only, at most `maxSubscriptionsPerConnection`) and each event runs with a
 * fresh context for the upgrade's caller, the office's field rules applying as they do over HTTP.
 */
export function serveChangeSockets(options: ChangeSocketOptions): ChangeSocket {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes });
  const server = serveGraphqlWs<Record<string, unknown> | undefined, { caller: VerifiedClaims }>(
    {
      schema: options.schema,
      onSubscribe: (ctx, id, payload) => {
        // graphql-ws has counted this subscription already.
        if (Object.keys(ctx.subscriptions).length > options.maxSubscriptionsPerConnection) {
          return [
            codedError(
              'CHANGE_SUBSCRIPTION_LIMIT',
              `This connection holds ${options.maxSubscriptionsPerConnection} subscriptions, as many as the office allows; complete one first.`,
            ),
          ];
        }
        return checkedSubscription(options, payload, options.callerOf(ctx.extra.request));
      },
      subscribe: (args) =>
        subscribeWithFreshContexts(args, () =>
          options.contextFor((args.contextValue as { caller: VerifiedClaims }).caller),
        ),
      onNext: (_ctx, _id, _payload, _args, result) => formatted(result, options),
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formattedError(error, options)),
    },
    sockets,
    options.logger,
  );

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(req, socket as Socket, head).catch((error: unknown) => {
      options.logger.error({ err: error }, 'subscription upgrade failed');
      socket.destroy();
    });
  };

  async function upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://office.invalid').pathname;
    // The HTTP answer to a refused upgrade, written as the office writes any refusal.
    const response = new ServerResponse(req);
    response.assignSocket(socket);
    response.shouldKeepAlive = false;
    const refuse = (error: HttpError) => {
      response.once('finish', () => socket.end(() => socket.destroy()));
      sendError(response, error);
    };
    if (path !== options.path) return refuse(new HttpError('NOT_FOUND', `No route for ${path}.`));
    try {
      // Signed as the gateway signs a GET of the path: method, path, claims and an empty body.
      await options.authenticate?.(req, Buffer.alloc(0), response);
    } catch (error) {
      if (error instanceof HttpError) return refuse(error);
      throw error;
    }
    response.detachSocket(socket);
    sockets.handleUpgrade(req, socket, head, (webSocket) => sockets.emit('connection', webSocket, req));
  }

  async function closeSockets(graceMs: number): Promise<void> {
    options.httpServer.off('upgrade', onUpgrade);
    const open = [...sockets.clients];
    const closed = Promise.all(
      open.map(
        (client) =>
          new Promise<void>((resolve) =>
            client.readyState === client.CLOSED ? resolve() : client.once('close', () => resolve()),
          ),
      ),
    );
    const disposed = server.dispose();
    // A peer that never answers the close handshake is cut off after the grace period.
    const cutOff = setTimeout(() => open.forEach((client) => client.terminate()), graceMs);
    await Promise.all([closed, disposed]).finally(() => clearTimeout(cutOff));
  }

  let closing: Promise<void> | null = null;
  options.httpServer.on('upgrade', onUpgrade);
  return {
    get connections() {
      return sockets.clients.size;
    },
    closeAll(code, reason) {
      for (const client of sockets.clients) client.close(code, reason);
    },
    close(graceMs) {
      // Once: an office may be stopped twice (its own signal handler and the stack's).
      closing ??= closeSockets(graceMs);
      return closing;
    },
  };
}

/** Parses and validates an operation, refusing anything but a subscription (queries and mutations stay on HTTP). */
function checkedSubscription(
  options: ChangeSocketOptions,
  payload: SubscribePayload,
  caller: VerifiedClaims,
): ExecutionArgs | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    return [
      codedError(
        'GRAPHQL_PARSE_FAILED',
        error instanceof GraphQLError ? error.message : 'The operation does not parse.',
      ),
    ];
  }
  const invalid = validate(options.schema, document);
  if (invalid.length > 0)
    return invalid.map((error) =>
      codedError('GRAPHQL_VALIDATION_FAILED', error.message, { nodes: error.nodes ?? null }),
    );
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) return [codedError('BAD_REQUEST', 'Name the operation to run (`operationName`).')];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    return [
      codedError(
        'OPERATION_NOT_SUPPORTED',
        `This socket serves subscriptions only; send a ${operation.operation} over HTTP POST to /graphql.`,
      ),
    ];
  }
  return {
    schema: options.schema,
    document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue: options.contextFor(caller),
  };
}

/**
 * graphql-js's subscribe, except that each event is executed with a context of its own: the
 * office's contexts hold per-request DataLoaders, which would otherwise answer every event after
 * the first with the record as it was then.
 */
async function subscribeWithFreshContexts(
  args: ExecutionArgs,
  freshContext: () => object,
): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return { errors: (stream.errors ?? []).map(withInputCode) };
  const source = stream[Symbol.asyncIterator]();
  const events: AsyncGenerator<ExecutionResult> = {
    async next() {
      const event = await source.next();
      if (event.done) return { value: undefined, done: true };
      return { value: await execute({ ...args, rootValue: event.value, contextValue: freshContext() }), done: false };
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return events;
    },
  };
  return events;
}

/**
 * A refusal before the subscription starts: one without a path (no resolver raised it) is about
 * the request itself, such as a variable of the wrong type, so it is the caller's to fix.
 */
function withInputCode(error: GraphQLError): GraphQLError {
  if (error.path !== undefined || error.extensions.code !== undefined) return error;
  return codedError('BAD_USER_INPUT', error.message, { nodes: error.nodes ?? null });
}

/** The codes a client may read as they are; an unexpected error keeps only its code in production. */
function formattedError(error: GraphQLError, options: ChangeSocketOptions) {
  const code = error.extensions.code;
  if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') return error.toJSON();
  options.logger.error({ err: error.originalError ?? error, path: error.path }, 'subscription event failed');
  if (!options.production)
    return { ...error.toJSON(), extensions: { ...error.extensions, code: 'INTERNAL_SERVER_ERROR' } };
  return {
    message: 'Internal server error.',
    ...(error.path ? { path: error.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

function formatted(result: { errors?: readonly GraphQLError[] | undefined }, options: ChangeSocketOptions) {
  if (!result.errors) return undefined;
  return { ...result, errors: result.errors.map((error) => formattedError(error, options)) };
}
