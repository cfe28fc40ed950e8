import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { close, graphqlHandler, listen, offlinePlugins, routes, sendJson, type Logger } from '@cip/core';
import type { GatewayConfig } from './config.js';
import { createSubgraphClient } from './subgraphClient.js';
import { SubgraphDataSource, formatGatewayError } from './subgraphErrors.js';
import { supergraphFromFile, supergraphFromRunningSubgraphs } from './supergraphSource.js';
import { disableApolloTelemetry } from './telemetry.js';

export interface GatewayApp {
  readonly apollo: ApolloServer;
  readonly httpServer: Server;
  /** Starts listening; port 0 picks a free port. Resolves with the base URL (no path). */
  listen(host: string, port: number): Promise<string>;
  stop(): Promise<void>;
}

/** Builds the gateway (loads the supergraph, plans nothing yet) without listening. */
export async function buildGateway(config: GatewayConfig, logger: Logger): Promise<GatewayApp> {
  disableApolloTelemetry();
  const client = createSubgraphClient({
    connections: config.SUBGRAPH_CONNECTIONS,
    keepAliveMs: config.SUBGRAPH_KEEP_ALIVE_MS,
  });
  const gateway = new ApolloGateway({
    supergraphSdl:
      config.SUPERGRAPH_SOURCE === 'file'
        ? supergraphFromFile(config.SUPERGRAPH_PATH)
        : await supergraphFromRunningSubgraphs(config.SUBGRAPH_URLS),
    buildService: ({ name, url }) =>
      new SubgraphDataSource(name, { url: config.SUBGRAPH_URLS[name] ?? url ?? '', fetcher: client.fetcher }),
    logger,
  });
  const apollo = new ApolloServer({
    gateway,
    plugins: offlinePlugins(),
    introspection: config.NODE_ENV !== 'production',
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    formatError: formatGatewayError(config.NODE_ENV),
    logger,
  });
  await apollo.start();
  const onInternalError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const httpServer = createServer(
    routes(
      {
        '/graphql': graphqlHandler(apollo, {
          context: async () => ({}),
          maxBodyBytes: config.MAX_BODY_BYTES,
          onInternalError,
        }),
        '/health': (_req, res) => sendJson(res, 200, { status: 'ok' }),
        '/ready': (_req, res) => sendJson(res, 200, { status: 'ready' }),
      },
      onInternalError,
    ),
  );
  return {
    apollo,
    httpServer,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      await close(httpServer);
      await apollo.stop();
      await client.close();
    },
  };
}
