import type { Server } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import {
  close,
  createHttpServer,
  graphqlHandler,
  listen,
  offlinePlugins,
  routes,
  sendJson,
  type Logger,
} from '@cip/core';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import type { Database } from './database.js';
import { httpPeers } from './writes/peers.js';
import { migrate, readMigrations, type MigrationResult } from './migrations.js';
import { gatewaySignatureCheck } from './gatewaySignature.js';
import { refuseUnstorableArguments } from './storableInput.js';
import {
  createSignatureVerifier,
  memoryReplayStore,
  officeKeysFromMaster,
  processSigningSecret,
  type OfficeKeys,
  type ReplayStore,
} from '@cip/core';
import { enforceFieldRules, honouredClaims } from './fieldEnforcement.js';
import { createSubgraphMetrics, subgraphMetricsRoute, subgraphObservabilityPlugin } from './observability.js';
import { CHANGE_FEED_LOST_CLOSE_CODE, drainConnections, type VerifiedClaims } from '@cip/core';
import { DEFAULT_SUBSCRIPTION_SETTINGS, type SubscriptionSettings } from './changes/config.js';
import { createChangeFeed, type ChangeFeed } from './changes/feed.js';
import { serveChangeSockets } from './changes/socket.js';
import { registerChangeMetrics } from './changes/metrics.js';

/** What an office's subgraph is: its schema, its resolvers, its migrations and its per-request context. */
export interface SubgraphModule<TContext extends BaseContext> {
  /** The subgraph's name in the composition, e.g. `threat-focus-areas`. */
  name: string;
  /** The PostgreSQL schema (namespace) its tables live in, e.g. `threat_focus_areas`. */
  storeSchema: string;
  typeDefs: DocumentNode;
  resolvers: unknown;
  migrationsDirectory: URL;
  /**
   * Builds the per-request context: fresh DataLoaders over the store, so nothing is cached across
   * requests. The whole `Database`, so that mutations can open transactions (writes/). The server
   * adds `caller` and `peers` to what it returns (`callerOf`, `peersOf`).
   */
  createContext(db: Database): TContext;
  /**
   * What `/ready` should say beyond the store, for data that lives elsewhere (a partner's feed):
   * `ready: false` makes `/ready` answer 503; the rest is shown as it is.
   */
  readiness?: () => { ready: boolean } & Record<string, unknown>;
  /** Series of its own to add to `/metrics` (a partner feed's refreshes, staleness, quarantine). */
  metrics?: () => Registry;
}

export interface SubgraphDeps {
  db: Database;
  logger: Logger;
  mode: 'development' | 'production' | 'test';
  /** Stack traces in error responses (ERROR_STACK_TRACES, development only); off when left out. */
  stackTraces?: boolean;
  maxBodyBytes: number;
  /**
   * How `/graphql` checks requests and how peer lookups are signed (gatewaySignature.ts): unsigned or
   * wrongly signed requests get 401. Unset, keys derived from this process's own master secret, which
   * a gateway in the same process (the embedded stack) uses too; `null` accepts unsigned requests
   * (a subgraph run alone in development).
   */
  signing?: OfficeSigning | null;
  /**
   * Other offices' subgraphs (name → `/graphql` URL), for referential checks through their entity
   * lookups (writes/peers.ts). Read at each lookup, so the embedded stack can fill it in as it starts them.
   */
  peers?: Readonly<Record<string, string>>;
  /** How its live changes are served (docs/live-changes.md); unset: `DEFAULT_SUBSCRIPTION_SETTINGS`. */
  subscriptions?: SubscriptionSettings;
}

/** What an office checks requests with (core's `createSignatureVerifier`), and signs its peer lookups with. */
export interface OfficeSigning {
  keys: OfficeKeys;
  lifetimeMs?: number;
  clockSkewMs?: number;
  /** Where the ids of accepted requests are kept; unset: in this process's memory. */
  replays?: ReplayStore;
  /** The office's clock (tests move it past a signature's lifetime). */
  now?: () => number;
}

export interface SubgraphApp<TContext extends BaseContext> {
  readonly name: string;
  readonly apollo: ApolloServer<TContext>;
  readonly httpServer: Server;
  /** The office's committed changes, as its subscriptions hear them. */
  readonly changes: ChangeFeed;
  /** Starts listening; port 0 picks a free port. Resolves with the base URL (no path). */
  listen(host: string, port: number): Promise<string>;
  stop(): Promise<void>;
}

export async function migrateSubgraph(module: SubgraphModule<BaseContext>, db: Database): Promise<MigrationResult> {
  return migrate(db, module.storeSchema, await readMigrations(module.migrationsDirectory));
}

/**
 * Builds a subgraph's server without listening: Apollo Server over the subgraph schema, behind an
 * HTTP front with `/graphql`, `/health` and `/ready`. Tests can use `apollo.executeOperation` directly.
 */
export async function buildSubgraphApp<TContext extends BaseContext>(
  module: SubgraphModule<TContext>,
  deps: SubgraphDeps,
): Promise<SubgraphApp<TContext>> {
  const logger = deps.logger.child({ subgraph: module.name });
  const signing =
    deps.signing === undefined ? { keys: officeKeysFromMaster(processSigningSecret(), module.name) } : deps.signing;
  const signatureCheck = gatewaySignatureCheck(
    signing &&
      createSignatureVerifier({
        office: module.name,
        keys: signing.keys.keys,
        ...(signing.lifetimeMs === undefined ? {} : { lifetimeMs: signing.lifetimeMs }),
        ...(signing.clockSkewMs === undefined ? {} : { clockSkewMs: signing.clockSkewMs }),
        replays: signing.replays ?? memoryReplayStore(),
        ...(signing.now ? { now: signing.now } : {}),
      }),
  );
  const peers = httpPeers({ urls: deps.peers ?? {}, keys: signing?.keys ?? null, self: module.name });
  // Metrics, trace continuation and request ids (observability.ts).
  const metrics = createSubgraphMetrics(module.name, deps.db);
  // The SDL's field rules hold in the office too, checked first; then strings the store cannot
  // hold (a NUL byte) are refused as BAD_USER_INPUT, both before a resolver runs.
  const schema = enforceFieldRules(
    refuseUnstorableArguments(
      buildSubgraphSchema({
        typeDefs: module.typeDefs,
        resolvers: module.resolvers as GraphQLResolverMap<unknown>,
      }),
    ),
  );
  const apollo = new ApolloServer<TContext>({
    schema,
    plugins: [
      ...offlinePlugins<TContext>(),
      ApolloServerPluginInlineTraceDisabled(),
      subgraphObservabilityPlugin<TContext>(module.name, metrics, logger),
    ],
    includeStacktraceInErrorResponses: deps.stackTraces === true,
    formatError: (formatted, error) => formatSubgraphError(formatted, error, deps.mode, logger),
    // Signals belong to our lifecycle (stopOnSignal: drain, then exit 0). Apollo's own handler would
    // stop the server under in-flight requests and re-raise the signal.
    stopOnTerminationSignals: false,
    logger,
  });
  await apollo.start();
  const onInternalError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const subscriptions = deps.subscriptions ?? DEFAULT_SUBSCRIPTION_SETTINGS;
  const changes = createChangeFeed(deps.db, module.storeSchema, {
    maxBufferedEvents: subscriptions.maxBufferedEvents,
    logger,
    // Closed with a code the gateway re-subscribes on, and reports the gap for.
    onLost: () => changeSockets.closeAll(CHANGE_FEED_LOST_CLOSE_CODE, 'change feed lost; subscribe again'),
  });
  /** What every operation runs with: this request's reads, the office's writes, and who asks. */
  const contextFor = (caller: VerifiedClaims) =>
    Object.assign(module.createContext(deps.db), {
      // Other offices, for writes that check references (writes/peers.ts `peersOf`).
      peers,
      caller: honouredClaims(caller, deps.mode),
      changes,
    });
  const httpServer = createHttpServer(
    routes(
      {
        '/graphql': graphqlHandler(apollo, {
          // The signature is checked on the raw body, before it is parsed.
          authenticate: signatureCheck.authenticate,
          // The caller's claims as the gateway verified them, for the field rules and resolvers.
          context: async (req) => contextFor(signatureCheck.callerOf(req)),
          maxBodyBytes: deps.maxBodyBytes,
          onInternalError,
        }),
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/metrics': subgraphMetricsRoute(metrics, module.metrics),
        '/ready': async (_req, res) => {
          const store = await deps.db.query('SELECT 1').then(
            () => 'ok',
            () => 'unavailable',
          );
          const { ready: sourceReady = true, ...source } = module.readiness?.() ?? {};
          const ready = store === 'ok' && sourceReady;
          sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', store, ...source });
        },
      },
      onInternalError,
    ),
  );
  // Subscriptions on the same port and path, signed and checked as its HTTP requests are.
  const changeSockets = serveChangeSockets({
    httpServer,
    path: '/graphql',
    schema,
    authenticate: signatureCheck.authenticate,
    callerOf: (req) => signatureCheck.callerOf(req),
    contextFor,
    maxSubscriptionsPerConnection: subscriptions.maxPerConnection,
    maxMessageBytes: deps.maxBodyBytes,
    production: deps.mode === 'production',
    logger,
  });
  registerChangeMetrics(metrics.registry, changes, changeSockets);
  return {
    name: module.name,
    apollo,
    httpServer,
    changes,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      // Subscribers are told the office is going away (1001) before the HTTP server drains: an
      // upgraded socket would otherwise hold the server open until it closed by itself.
      await changeSockets.close(2_000);
      await changes.close();
      // In-flight requests finish (up to 8 s, under the 10 s hard stop) before the store closes.
      const drained = drainConnections(httpServer, 8_000);
      await close(httpServer);
      drained();
      metrics.stopObserving();
      await apollo.stop();
    },
  };
}

/**
 * Errors the client caused keep their message and code. Anything else (a store failure, a bug) is
 * logged whole; in production the client sees only its code, never SQL or a stack.
 */
function formatSubgraphError(
  formatted: GraphQLFormattedError,
  error: unknown,
  mode: SubgraphDeps['mode'],
  logger: Logger,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  // A field refused by its rule is an answer, not a failure: shaped as the gateway's, no stack.
  if (code === 'UNAUTHORIZED_FIELD_OR_TYPE')
    return { message: formatted.message, ...(formatted.path ? { path: formatted.path } : {}), extensions: { code } };
  if (code !== 'INTERNAL_SERVER_ERROR') return formatted;
  logger.error({ err: unwrapResolverError(error), path: formatted.path }, 'resolver failed');
  if (mode !== 'production') return formatted;
  return {
    message: 'Internal server error.',
    ...(formatted.path ? { path: formatted.path } : {}),
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    extensions: { code },
  };
}
