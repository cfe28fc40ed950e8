import type { Server } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  close,
  createHttpServer,
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
import { withCors } from './cors/cors.js';
import { createSubgraphClient } from './execution/subgraphClient.js';
import { formatGatewayError } from './errors/errorFormatting.js';
import { SubgraphDataSource, type SubgraphRequestHook } from './execution/subgraphDataSource.js';
import { servedOperationTypesPlugin } from './execution/operationTypes.js';
import {
  supergraphFromFile,
  supergraphFromRunningSubgraphs,
  type SupergraphTransform,
} from './supergraph/supergraphSource.js';
import { disableApolloTelemetry } from './observability/telemetry.js';
import { healthRoute, joinedSubgraphNames, readyRoute } from './observability/health.js';
import {
  createGatewayMetrics,
  metricsPlugin,
  metricsRoute,
  observePlanCache,
  type MetricsSource,
} from './observability/metrics.js';
import { propagateRequestId, requestIdContext, withRequestLogging } from './observability/requestLogging.js';
import { SubgraphGuards } from './resilience/subgraphGuards.js';
import { propagateTraceContext, registerTracing, withTracing } from './observability/tracing.js';
import { buildDeferSupport } from './defer/index.js';
import { createExplorer } from './explorer/explorer.js';
import { explorerMode, queryPlanMode } from './explorer/explorerAccess.js';
import { queryPlanExposure } from './explorer/queryPlans.js';
import { buildSecurity } from './security/index.js';
import { installFastExecutor, type PlanExecutorStats } from '@cip/plan-executor';
import { buildSharedState, type SharedState } from './shared-state/index.js';
import { buildSubscriptions } from './subscriptions/index.js';
import { buildUsageRecording, type UsageRecording } from './usage/index.js';
import type { Registry } from 'prom-client';

export interface GatewayApp {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly httpServer: Server;
  /** With PLAN_EXECUTOR=fast: how many operations our executor and the stock one answered. */
  readonly planExecutor?: PlanExecutorStats;
  /** State shared with other replicas (shared-state/): `invalidateEntities` for writes. */
  readonly sharedState: SharedState;
  /** What clients use (usage/): `flush` writes what is held to the usage store. */
  readonly usage: UsageRecording;
  /** Starts listening; port 0 picks a free port. Resolves with the base URL (no path). */
  listen(host: string, port: number): Promise<string>;
  stop(): Promise<void>;
}

export interface BuildOptions {
  /** What `/metrics` serves, from this gateway's registry; by default the registry itself (a cluster worker serves the cluster's sum). */
  readonly metricsSource?: (registry: Registry) => MetricsSource;
}

/**
 * Builds the gateway without listening. This file only assembles: each concern lives in its own
 * file and contributes what it needs through the lists below (context builders, Apollo plugins,
 * hooks on each subgraph request, HTTP routes, things to close on stop).
 */
export async function buildGateway(
  config: GatewayConfig,
  logger: Logger,
  options: BuildOptions = {},
): Promise<GatewayApp> {
  disableApolloTelemetry();

  const contextBuilders: ContextBuilder[] = [];
  // First, so that a subscription gets its own refusal rather than another plugin's.
  const plugins: ApolloServerPlugin<GatewayContext>[] = [
    ...offlinePlugins<GatewayContext>(),
    // Subscriptions are served where the request came over WebSocket or SSE (subscriptions/ sets the slot).
    servedOperationTypesPlugin<GatewayContext>({ streams: (context) => context.subscription !== undefined }),
  ];
  // Where subscriptions/ puts its plugin: before the response cache's, which must never see a subscription.
  const streamingPluginsAt = plugins.length;
  const subgraphRequestHooks: SubgraphRequestHook[] = [];
  const onStop: (() => Promise<void>)[] = [];

  // What clients use (usage/), recorded before security may rewrite a document a caller cannot fully see.
  const usage = buildUsageRecording(config.usage, logger);
  plugins.push(...usage.plugins);
  onStop.push(() => usage.stop());

  // Who may see what (docs/security.md): tokens, limits, trusted documents, field rules, signing.
  // It also rewrites the supergraph before @apollo/gateway sees it (the security links removed).
  const security = await buildSecurity(config.security, config.server.mode, logger);
  contextBuilders.push(...security.contextBuilders);
  plugins.push(...security.plugins);
  subgraphRequestHooks.push(...security.subgraphRequestHooks);
  const transformSupergraph: SupergraphTransform = security.supergraph.transform;

  const client = createSubgraphClient(config.execution.client);
  onStop.push(() => client.close());

  // Resilience and observability (docs/operating.md): timeouts, retries and a breaker per
  // subgraph; request ids, metrics and traces; every subgraph the served supergraph routes to.
  const metrics = createGatewayMetrics();
  // State replicas share (docs/operating.md): with REDIS_URL, APQ registrations and the response cache live in Redis.
  const sharedState = await buildSharedState(config.sharedState, logger, metrics.registry);
  onStop.push(() => sharedState.close());
  // Response cache (RESPONSE_CACHE=on): after the security plugins, which shape each answer.
  plugins.push(...sharedState.plugins);
  const guards = new SubgraphGuards(config.resilience.guards, metrics, logger);
  const servedSubgraphs = new Map<string, string>();
  const tracing = registerTracing({ serviceName: 'cip-gateway', otlpEndpoint: config.observability.otlpEndpoint });
  if (tracing) onStop.push(() => tracing.shutdown());
  contextBuilders.push(requestIdContext, (_req, context) => {
    context.deadline = Date.now() + config.resilience.requestDeadlineMs;
  });
  // The `operation` label takes only trusted operation names, so clients cannot add series.
  plugins.push(metricsPlugin(metrics, security.trustedOperationNames));
  subgraphRequestHooks.push(propagateRequestId, propagateTraceContext);
  const { origin, subgraphUrls } = config.supergraph;

  // Query plans on request, for callers allowed to see them (explorer/queryPlans.ts): in production, callers
  // with the analyst scope.
  const { isAnalyst } = security;
  const queryPlans = queryPlanExposure({ mode: queryPlanMode(config.explorer, config.server.mode), isAnalyst });
  plugins.push(queryPlans.plugin);
  subgraphRequestHooks.push(queryPlans.subgraphRequestHook);

  // @defer (defer/): planned and run by our executor, streamed as multipart/mixed to clients that take it.
  const formatError = formatGatewayError(config.server.mode, config.server.stackTraces);
  const defer = buildDeferSupport(config.execution.planExecutor === 'fast', {
    formatError,
    includeStacktraceInErrorResponses: config.server.stackTraces,
  });
  plugins.push(...defer.plugins);

  const gateway = new ApolloGateway({
    supergraphSdl:
      origin.kind === 'introspect'
        ? security.supergraph.wrap(
            supergraphFromRunningSubgraphs(subgraphUrls, { cacheDir: origin.sdlCacheDir, logger }),
          )
        : supergraphFromFile(origin, transformSupergraph, { logger, metrics }),
    buildService: ({ name, url }) => {
      const routedUrl = subgraphUrls[name] ?? url;
      if (!routedUrl) throw new Error(`The supergraph gives subgraph ${name} no routing URL; set SUBGRAPH_URLS.`);
      servedSubgraphs.set(name, routedUrl);
      return new SubgraphDataSource(
        name,
        { url: routedUrl, fetcher: client.fetcher },
        subgraphRequestHooks,
        guards.forSubgraph(name),
        security.subgraphFetchSigner,
        config.execution.shareInFlightQueries,
      );
    },
    logger,
    // Apollo's own plan header answers anyone who sends it; plans go through explorer/queryPlans.ts instead.
    __exposeQueryPlanExperimental: false,
    experimental_didResolveQueryPlan: queryPlans.didResolveQueryPlan,
    ...(defer.queryPlannerConfig ? { queryPlannerConfig: defer.queryPlannerConfig } : {}),
  });
  defer.declareDirective(gateway);

  // Live changes (docs/live-changes.md): subscriptions over WebSocket and SSE, run on our executor.
  const subscriptions = buildSubscriptions({
    settings: config.subscriptions,
    gateway,
    signer: security.subgraphFetchSigner,
    officeUrl: (name) => servedSubgraphs.get(name),
    registry: metrics.registry,
    logger,
    eventDeadlineMs: config.resilience.requestDeadlineMs,
    maxBodyBytes: config.server.maxBodyBytes,
    formatError,
    subscriptionPlan: queryPlans.subscriptionPlan,
  });
  plugins.splice(streamingPluginsAt, 0, ...subscriptions.plugins);

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: defer.withSubsequentPayloadHooks(plugins),
    // On for everyone here; in production security/introspection.ts lets only analysts introspect.
    introspection: true,
    // Batches are limited to LIMIT_MAX_BATCH operations (security/limits.ts); 1 turns them off.
    allowBatchedHttpRequests: config.security.limits.maxBatch > 1,
    includeStacktraceInErrorResponses: config.server.stackTraces,
    formatError,
    // Signals belong to our lifecycle (stopOnSignal: drain, then exit 0). Apollo's own handler would
    // stop the server under in-flight requests and re-raise the signal.
    stopOnTerminationSignals: false,
    ...sharedState.serverOptions,
    logger,
  });
  // PLAN_EXECUTOR=fast: our executor runs the plans it covers (@cip/plan-executor); it must be in place
  // before start, which takes the executor from the gateway.
  const planExecutor =
    config.execution.planExecutor === 'fast'
      ? installFastExecutor(gateway, {
          onPlanLookup: (found) => metrics.planCache.inc({ result: found ? 'hit' : 'miss' }),
          ...(defer.incrementalDelivery ? { incrementalDelivery: defer.incrementalDelivery } : {}),
        })
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
      maxBodyBytes: config.server.maxBodyBytes,
      onInternalError,
    }),
    '/health': healthRoute(),
    '/ready': readyRoute({
      supergraphLoaded: () => gateway.schema !== undefined,
      subgraphs: () => servedSubgraphs,
      breakerStates: () => guards.states(),
      probeTimeoutMs: config.observability.readyProbeTimeoutMs,
    }),
    '/metrics': metricsRoute(options.metricsSource?.(metrics.registry) ?? metrics.registry),
  };
  // The explorer at `/`, and at `/graphql` for a browser asking for HTML (explorer/explorer.ts).
  const explorer = await createExplorer({
    mode: explorerMode(config.explorer, config.server.mode),
    distDir: config.explorer.distDir,
    context: (req) => createContext(req, contextBuilders),
    isAnalyst,
  });
  const graphqlRoute = httpRoutes['/graphql'];
  if (graphqlRoute) httpRoutes['/graphql'] = explorer.negotiate(graphqlRoute);
  // SSE subscriptions (`Accept: text/event-stream`) inside the CORS, tracing and logging of /graphql.
  const negotiated = httpRoutes['/graphql'];
  if (negotiated)
    httpRoutes['/graphql'] = subscriptions.serve(
      {
        apollo,
        createContext: (req) => createContext(req, contextBuilders),
        authenticate: security.authenticate,
        allowedOrigins: config.cors.origins,
      },
      negotiated,
    );
  Object.assign(httpRoutes, explorer.routes);
  // Outermost on /graphql: a request id and a log line per request, and the request's server span.
  const answerGraphql = httpRoutes['/graphql'];
  // Inside those, CORS (cors/cors.ts): a browser's preflight is answered there, and logged.
  if (answerGraphql)
    httpRoutes['/graphql'] = withRequestLogging(withTracing(withCors(answerGraphql, config.cors)), logger);
  const httpServer = createHttpServer(routes(httpRoutes, onInternalError));
  subscriptions.upgradeOn(httpServer);

  return {
    apollo,
    ...(planExecutor ? { planExecutor } : {}),
    sharedState,
    usage,
    httpServer,
    listen: (host, port) => listen(httpServer, host, port),
    async stop() {
      // Open subscriptions first, each closed with its code; what they leave is drained like any request.
      await subscriptions.stop(config.resilience.shutdownDrainMs);
      const drained = drainConnections(httpServer, config.resilience.shutdownDrainMs);
      await close(httpServer);
      drained();
      await apollo.stop();
      for (const stop of onStop) await stop();
    },
  };
}
