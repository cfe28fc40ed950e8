import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloGateway } from '@apollo/gateway';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { Logger, RequestHandler } from '@cip/core';
import { subscriptionExecutor } from '@cip/plan-executor';
import type { GraphQLFormattedError } from 'graphql';
import type { Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { SubgraphFetchSigner } from '../execution/subgraphDataSource.js';
import type { Caller } from '../security/jwt.js';
import { CallerConnections } from './callerConnections.js';
import type { SubscriptionSettings } from './config.js';
import type { LiveDeps, LiveSubscription } from './liveSubscription.js';
import { sseTransport, wantsEventStream } from './sseTransport.js';
import { createSubscriptionMetrics } from './subscriptionMetrics.js';
import { subscriptionPlugin } from './subscriptionPlugin.js';
import { webSocketTransport } from './webSocketTransport.js';

export interface SubscriptionsOptions {
  readonly settings: SubscriptionSettings;
  readonly gateway: ApolloGateway;
  readonly signer: SubgraphFetchSigner;
  readonly officeUrl: (office: string) => string | undefined;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly eventDeadlineMs: number;
  readonly maxBodyBytes: number;
  readonly formatError: (error: GraphQLFormattedError) => GraphQLFormattedError;
  /** The plan to send with a subscription's first event, when its request asked and may see it (explorer/queryPlans.ts). */
  readonly subscriptionPlan?: LiveDeps['subscriptionPlan'];
}

/** What the transports need once Apollo Server and the context builders exist (`serve`). */
export interface ServeOptions {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly createContext: (req: IncomingMessage) => Promise<GatewayContext>;
  readonly authenticate: (authorization: string | undefined) => Promise<Caller>;
  readonly allowedOrigins: ReadonlySet<string>;
}

export interface Subscriptions {
  /** Before Apollo Server starts: prepares subscriptions instead of executing them (subscriptionPlugin.ts). */
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  /** Whether a request's context is a streaming transport's (execution/operationTypes.ts serves subscriptions there). */
  streams(context: GatewayContext): boolean;
  /** `/graphql`'s handler with SSE requests (`Accept: text/event-stream`) taken first. */
  serve(options: ServeOptions, graphqlRoute: RequestHandler): RequestHandler;
  /** Serves WebSocket upgrades on `/graphql` of `httpServer` (after `serve`). */
  upgradeOn(httpServer: Server): void;
  /** On shutdown, before the HTTP drain: closes every WebSocket (1001) and ends every SSE stream, with a code. */
  stop(deadlineMs: number): Promise<void>;
}

/** A page of `origin` may open a socket: no Origin (not a browser), one of CORS_ORIGINS, or the gateway's own host. */
function allowsOrigin(allowed: ReadonlySet<string>) {
  return (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined || allowed.has(origin)) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  };
}

/**
 * Subscriptions through the gateway (docs/live-changes.md, "Through the gateway"): GraphQL over
 * WebSocket and over SSE on `/graphql`, each subscription planned by the gateway's planner,
 * subscribed to its office over a signed socket, and every event completed by our executor.
 */
export function buildSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { settings } = options;
  if (!settings.enabled) {
    return {
      plugins: [],
      streams: () => false,
      serve: (_options, route) => route,
      upgradeOn: () => undefined,
      stop: async () => undefined,
    };
  }
  // Before ApolloServer#start, like installFastExecutor: it checks @apollo/gateway's internals then.
  const executor = subscriptionExecutor(options.gateway);
  const metrics = createSubscriptionMetrics(options.registry);
  const connections = new CallerConnections(settings.maxConnectionsPerCaller);
  const open = new Set<LiveSubscription>();
  // A plan made on the old supergraph may ask an office for what it no longer has: each open
  // subscription ends with a last payload saying why, and its client subscribes again.
  let servedSupergraph: string | undefined;
  options.gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    const changed = servedSupergraph !== undefined && servedSupergraph !== coreSupergraphSdl;
    servedSupergraph = coreSupergraphSdl;
    if (!changed) return;
    for (const live of [...open])
      live.drop(
        'schema_reload',
        'SUBSCRIPTION_SCHEMA_RELOAD',
        "The gateway's supergraph changed, which ended this subscription: subscribe again.",
      );
  });
  let stopTransports: (deadlineMs: number) => Promise<void> = async () => undefined;
  let upgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  return {
    plugins: [subscriptionPlugin(executor)],
    streams: (context) => context.subscription !== undefined,
    serve(attachOptions, graphqlRoute) {
      const deps: LiveDeps = {
        ...(options.subscriptionPlan ? { subscriptionPlan: options.subscriptionPlan } : {}),
        apollo: attachOptions.apollo,
        executor,
        officeUrl: options.officeUrl,
        signer: options.signer,
        settings,
        eventDeadlineMs: options.eventDeadlineMs,
        formatError: options.formatError,
        metrics,
        logger: options.logger,
        open,
      };
      const webSocket = webSocketTransport({
        ...deps,
        createContext: attachOptions.createContext,
        authenticate: attachOptions.authenticate,
        connections,
        allowsOrigin: allowsOrigin(attachOptions.allowedOrigins),
        maxMessageBytes: options.maxBodyBytes,
      });
      const sse = sseTransport({
        ...deps,
        createContext: attachOptions.createContext,
        connections,
        maxBodyBytes: options.maxBodyBytes,
      });
      upgrade = (req, socket, head) => webSocket.handleUpgrade(req, socket, head);
      stopTransports = async (deadlineMs) => {
        sse.stop();
        await webSocket.stop(deadlineMs);
      };
      return (req, res) => (wantsEventStream(req) ? sse.handle(req, res) : graphqlRoute(req, res));
    },
    upgradeOn(httpServer) {
      if (upgrade) httpServer.on('upgrade', upgrade);
    },
    stop: (deadlineMs) => stopTransports(deadlineMs),
  };
}
