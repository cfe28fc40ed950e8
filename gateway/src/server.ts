import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  close,
  graphqlHandler,
  listen,
  offlinePlugins,
  routes,
  sendJson,
  type Logger,
  type RequestHandler,
} from '@cip/core';
import type { GatewayConfig } from './config.js';
import { createContext, type ContextBuilder, type GatewayContext } from './context.js';
import { createSubgraphClient } from './subgraphClient.js';
import { formatGatewayError } from './errorFormatting.js';
import { SubgraphDataSource, type SubgraphRequestHook } from './subgraphDataSource.js';
import { supergraphFromFile, supergraphFromRunningSubgraphs, type SupergraphTransform } from './supergraphSource.js';
import { disableApolloTelemetry } from './telemetry.js';

export interface GatewayApp {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly httpServer: Server;
  /** Starts listening; port 0 picks a free port. Resolves with the base URL (no path). */
  listen(host: string, port: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Builds the gateway without listening. This file only assembles: each concern lives in its own
 * file and contributes what it needs through the lists below (context builders, Apollo plugins,
 * hooks on each subgraph request, HTTP routes, things to close on stop).
 */
export async function buildGateway(config: GatewayConfig, logger: Logger): Promise<GatewayApp> {
  disableApolloTelemetry();

  const contextBuilders: ContextBuilder[] = [];
  const plugins: ApolloServerPlugin<GatewayContext>[] = [...offlinePlugins<GatewayContext>()];
  const subgraphRequestHooks: SubgraphRequestHook[] = [];
  const onStop: (() => Promise<void>)[] = [];

  // Security concerns rewrite the supergraph here before @apollo/gateway sees it.
  const transformSupergraph: SupergraphTransform = (sdl) => sdl;

  const client = createSubgraphClient({
    connections: config.SUBGRAPH_CONNECTIONS,
    keepAliveMs: config.SUBGRAPH_KEEP_ALIVE_MS,
  });
  onStop.push(() => client.close());

  const gateway = new ApolloGateway({
    supergraphSdl:
      config.SUPERGRAPH_SOURCE === 'file'
        ? supergraphFromFile(config.SUPERGRAPH_PATH, transformSupergraph)
        : await supergraphFromRunningSubgraphs(config.SUBGRAPH_URLS),
    buildService: ({ name, url }) => {
      const routedUrl = config.SUBGRAPH_URLS[name] ?? url;
      if (!routedUrl) throw new Error(`The supergraph gives subgraph ${name} no routing URL; set SUBGRAPH_URLS.`);
      return new SubgraphDataSource(name, { url: routedUrl, fetcher: client.fetcher }, subgraphRequestHooks);
    },
    logger,
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins,
    introspection: config.NODE_ENV !== 'production',
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    formatError: formatGatewayError(config.NODE_ENV),
    logger,
  });
  await apollo.start();

  const onInternalError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const httpRoutes: Record<string, RequestHandler> = {
    '/graphql': graphqlHandler(apollo, {
      context: (req) => createContext(req, contextBuilders),
      maxBodyBytes: config.MAX_BODY_BYTES,
      onInternalError,
    }),
    '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
    '/ready': (_req, res) => sendJson(res, 200, { status: 'ready' }),
  };
  const httpServer = createServer(routes(httpRoutes, onInternalError));

  return {
    apollo,
    httpServer,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      await close(httpServer);
      await apollo.stop();
      for (const stop of onStop) await stop();
    },
  };
}
