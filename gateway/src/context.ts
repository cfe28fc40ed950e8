import type { IncomingMessage } from 'node:http';

/**
 * What the gateway knows about one incoming request, built once per request by `createContext`
 * and handed to every plugin and to each subgraph fetch. Concerns add their own fields here.
 */
export interface GatewayContext {
  /** The incoming HTTP request (headers for auth, propagation, tracing). */
  req: IncomingMessage;
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
