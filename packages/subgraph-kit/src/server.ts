import { createServer, type Server } from 'node:http';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { close, graphqlHandler, listen, offlinePlugins, routes, sendJson, type Logger } from '@cip/core';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import type { Database, Queryable } from './database.js';
import { migrate, readMigrations, type MigrationResult } from './migrations.js';

/** What an office's subgraph is: its schema, its resolvers, its migrations and its per-request context. */
export interface SubgraphModule<TContext extends BaseContext> {
  /** The subgraph's name in the composition, e.g. `threat-focus-areas`. */
  name: string;
  /** The PostgreSQL schema (namespace) its tables live in, e.g. `threat_focus_areas`. */
  storeSchema: string;
  typeDefs: DocumentNode;
  resolvers: unknown;
  migrationsDirectory: URL;
  /** Builds the per-request context: fresh DataLoaders over the store, so nothing is cached across requests. */
  createContext(db: Queryable): TContext;
}

export interface SubgraphDeps {
  db: Database;
  logger: Logger;
  mode: 'development' | 'production' | 'test';
  maxBodyBytes: number;
}

export interface SubgraphApp<TContext extends BaseContext> {
  readonly name: string;
  readonly apollo: ApolloServer<TContext>;
  readonly httpServer: Server;
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
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema({
      typeDefs: module.typeDefs,
      resolvers: module.resolvers as GraphQLResolverMap<unknown>,
    }),
    plugins: [...offlinePlugins<TContext>(), ApolloServerPluginInlineTraceDisabled()],
    includeStacktraceInErrorResponses: deps.mode !== 'production',
    formatError: (formatted, error) => formatSubgraphError(formatted, error, deps.mode, logger),
    logger,
  });
  await apollo.start();
  const onInternalError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const httpServer = createServer(
    routes(
      {
        '/graphql': graphqlHandler(apollo, {
          context: async () => module.createContext(deps.db),
          maxBodyBytes: deps.maxBodyBytes,
          onInternalError,
        }),
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/ready': async (_req, res) => {
          const store = await deps.db.query('SELECT 1').then(
            () => 'ok',
            () => 'unavailable',
          );
          sendJson(res, store === 'ok' ? 200 : 503, { status: store === 'ok' ? 'ready' : 'not ready', store });
        },
      },
      onInternalError,
    ),
  );
  return {
    name: module.name,
    apollo,
    httpServer,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      await close(httpServer);
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
