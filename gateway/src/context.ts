import type { IncomingMessage } from 'node:http';
import type { Caller } from './security/jwt.js';
import type { SubscriptionSlot } from './subscriptions/subscriptionPlugin.js';

/**
 * What the gateway knows about one incoming request, built once per request by `createContext`
 * and handed to every plugin and to each subgraph fetch. Concerns add their own fields here.
 */
export interface GatewayContext {
  /** The incoming HTTP request (headers for auth, propagation, tracing). */
  req: IncomingMessage;
  /** Who is calling (security/authentication.ts); absent means anonymous. */
  caller?: Caller;
  /** This request's id: the caller's `x-request-id` if it sent a sane one, else a new one; sent to subgraphs and returned. */
  requestId?: string;
  /** Epoch ms by which the request must be answered (REQUEST_DEADLINE_MS); subgraph attempts are cut to it. */
  deadline?: number;
  /** Set when the request came over WebSocket or SSE (subscriptions/): a subscription is served, its plan left here. */
  subscription?: SubscriptionSlot;
}

export type ContextBuilder = (req: IncomingMessage, context: GatewayContext) => Promise<void> | void;

/** Runs each concern's builder in order over a fresh context. */
export async function createContext(
  req: IncomingMessage,
  builders: readonly ContextBuilder[],
): Promise<GatewayContext> {
  const context: GatewayContext = { req };
  for (const build of builders) await build(req, context);
  return context;
}
