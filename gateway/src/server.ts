import { createServer, type Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  close,
  drainConnections,
  graphqlHandler,
  listen,
  offlinePlugins,
  routes,
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
import { healthRoute, joinedSubgraphNames, readyRoute } from './health.js';
import { createGatewayMetrics, metricsPlugin, metricsRoute, observePlanCache } from './metrics.js';
import { propagateRequestId, requestIdContext, withRequestLogging } from './requestLogging.js';
import { SubgraphGuards } from './resilience/subgraphGuards.js';
import { propagateTraceContext, registerTracing, withTracing } from './tracing.js';
import { createExplorer } from './explorer.js';
import { explorerMode, queryPlanMode } from './explorerAccess.js';
import { queryPlanExposure } from './queryPlans.js';
import { buildSecurity } from './security/index.js';
import { installFastExecutor, type PlanExecutorStats } from './execution/fastExecutor.js';
import { buildSharedState, type SharedState } from './sharedState/index.js';

export interface GatewayApp {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly httpServer: Server;
  /** With PLAN_EXECUTOR=fast: how many operations our executor and the stock one answered. */
  readonly planExecutor?: PlanExecutorStats;
  /** State shared with other replicas (sharedState/): `invalidateEntities` for writes. */
  readonly sharedState: SharedState;
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

  // Who may see what (docs/security.md): tokens, limits, trusted documents, field rules, signing.
  // It also rewrites the supergraph before @apollo/gateway sees it (the security links removed).
  const security = await buildSecurity(config, logger);
  contextBuilders.push(...security.contextBuilders);
  plugins.push(...security.plugins);
  subgraphRequestHooks.push(...security.subgraphRequestHooks);
  const transformSupergraph: SupergraphTransform = security.supergraph.transform;

  const client = createSubgraphClient({
    connections: config.SUBGRAPH_CONNECTIONS,
    keepAliveMs: config.SUBGRAPH_KEEP_ALIVE_MS,
  });
  onStop.push(() => client.close());

  // Resilience and observability (docs/operating.md): timeouts, retries and a breaker per
  // subgraph; request ids, metrics and traces; every subgraph the served supergraph routes to.
  const metrics = createGatewayMetrics();
  // State replicas share (docs/operating.md): with REDIS_URL, APQ registrations and the response cache live in Redis.
  const sharedState = await buildSharedState(config, logger, metrics.registry);
  onStop.push(() => sharedState.close());
  // Response cache (RESPONSE_CACHE=on): after the security plugins, which shape each answer.
  plugins.push(...sharedState.plugins);
  const guards = new SubgraphGuards(
    {
      timeouts: { defaultMs: config.SUBGRAPH_TIMEOUT_MS, perSubgraphMs: config.SUBGRAPH_TIMEOUTS },
      retry: {
        maxRetries: config.SUBGRAPH_RETRIES,
        baseDelayMs: config.SUBGRAPH_RETRY_BASE_MS,
        maxDelayMs: config.SUBGRAPH_RETRY_MAX_MS,
        maxRetryAfterMs: config.SUBGRAPH_RETRY_AFTER_MAX_MS,
      },
      retryBudget: { ratio: config.SUBGRAPH_RETRY_BUDGET_RATIO, maxTokens: config.SUBGRAPH_RETRY_BUDGET_MAX },
      breaker: { failureThreshold: config.BREAKER_FAILURE_THRESHOLD, coolDownMs: config.BREAKER_COOL_DOWN_MS },
    },
    metrics,
    logger,
  );
  const servedSubgraphs = new Map<string, string>();
  const tracing = registerTracing({ serviceName: 'cip-gateway', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  if (tracing) onStop.push(() => tracing.shutdown());
  contextBuilders.push(requestIdContext, (_req, context) => {
    context.deadline = Date.now() + config.REQUEST_DEADLINE_MS;
  });
  plugins.push(metricsPlugin(metrics));
  subgraphRequestHooks.push(propagateRequestId, propagateTraceContext);
  const supergraphReload = {
    watch: config.SUPERGRAPH_WATCH,
    pollMs: config.SUPERGRAPH_POLL_MS,
    url: config.SUPERGRAPH_URL,
    logger,
    metrics,
  };

  // Query plans on request, for callers allowed to see them (queryPlans.ts): in production, callers
  // with the analyst scope.
  const { isAnalyst } = security;
  const queryPlans = queryPlanExposure({ mode: queryPlanMode(config), isAnalyst });
  plugins.push(queryPlans.plugin);
  subgraphRequestHooks.push(queryPlans.subgraphRequestHook);

  const gateway = new ApolloGateway({
    supergraphSdl:
      config.SUPERGRAPH_SOURCE === 'file'
        ? supergraphFromFile(config.SUPERGRAPH_PATH, transformSupergraph, supergraphReload)
        : security.supergraph.wrap(
            supergraphFromRunningSubgraphs(config.SUBGRAPH_URLS, { cacheDir: config.SDL_CACHE_DIR, logger }),
          ),
    buildService: ({ name, url }) => {
      const routedUrl = config.SUBGRAPH_URLS[name] ?? url;
      if (!routedUrl) throw new Error(`The supergraph gives subgraph ${name} no routing URL; set SUBGRAPH_URLS.`);
      servedSubgraphs.set(name, routedUrl);
      return new SubgraphDataSource(
        name,
        { url: routedUrl, fetcher: client.fetcher },
        subgraphRequestHooks,
        guards.forSubgraph(name),
      );
    },
    logger,
    // Apollo's own plan header answers anyone who sends it; plans go through queryPlans.ts instead.
    __exposeQueryPlanExperimental: false,
    experimental_didResolveQueryPlan: queryPlans.didResolveQueryPlan,
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins,
    // On for everyone here; in production security/introspection.ts lets only analysts introspect.
    introspection: true,
    // Batches are limited to LIMIT_MAX_BATCH operations (security/limits.ts); 1 turns them off.
    allowBatchedHttpRequests: config.LIMIT_MAX_BATCH > 1,
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    formatError: formatGatewayError(config.NODE_ENV),
    // Signals belong to our lifecycle (stopOnSignal: drain, then exit 0). Apollo's own handler would
    // stop the server under in-flight requests and re-raise the signal.
    stopOnTerminationSignals: false,
    ...sharedState.serverOptions,
    logger,
  });
  // PLAN_EXECUTOR=fast: our executor runs the plans it covers (execution/); it must be in place
  // before start, which takes the executor from the gateway.
  const planExecutor =
    config.PLAN_EXECUTOR === 'fast'
      ? installFastExecutor(gateway, { onStoredPlanRun: () => metrics.planCache.inc({ result: 'hit' }) })
      : undefined;
  // A reload that drops a subgraph must drop it from /ready too, or the gateway never reads ready again.
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const joined = joinedSubgraphNames(coreSupergraphSdl);
    for (const name of servedSubgraphs.keys()) if (!joined.has(name)) servedSubgraphs.delete(name);
  });
  await apollo.start();
  observePlanCache(gateway, metrics);

  const onInternalError = (error: unknown) => logger.error({ err: error }, 'request failed');
  const httpRoutes: Record<string, RequestHandler> = {
    '/graphql': graphqlHandler(apollo, {
      context: (req) => createContext(req, contextBuilders),
      maxBodyBytes: config.MAX_BODY_BYTES,
      onInternalError,
    }),
    '/health': healthRoute(),
    '/ready': readyRoute({
      supergraphLoaded: () => gateway.schema !== undefined,
      subgraphs: () => servedSubgraphs,
      breakerStates: () => guards.states(),
      probeTimeoutMs: config.READY_PROBE_TIMEOUT_MS,
    }),
    '/metrics': metricsRoute(metrics.registry),
  };
  // The explorer at `/`, and at `/graphql` for a browser asking for HTML (explorer.ts).
  const explorer = await createExplorer({
    mode: explorerMode(config),
    distDir: config.EXPLORER_DIST_DIR,
    context: (req) => createContext(req, contextBuilders),
    isAnalyst,
  });
  const graphqlRoute = httpRoutes['/graphql'];
  if (graphqlRoute) httpRoutes['/graphql'] = explorer.negotiate(graphqlRoute);
  Object.assign(httpRoutes, explorer.routes);
  // Outermost on /graphql: a request id and a log line per request, and the request's server span.
  const answerGraphql = httpRoutes['/graphql'];
  if (answerGraphql) httpRoutes['/graphql'] = withRequestLogging(withTracing(answerGraphql), logger);
  const httpServer = createServer(routes(httpRoutes, onInternalError));

  return {
    apollo,
    ...(planExecutor ? { planExecutor } : {}),
    sharedState,
    httpServer,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      const drained = drainConnections(httpServer, config.SHUTDOWN_DRAIN_MS);
      await close(httpServer);
      drained();
      await apollo.stop();
      for (const stop of onStop) await stop();
    },
  };
}
