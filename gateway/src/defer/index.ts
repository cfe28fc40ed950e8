import type { ApolloGateway, GatewayConfig } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { declareDeferDirective, deferPlannerConfig } from './deferPlanning.js';
import {
  incrementalDelivery,
  type IncrementalDelivery,
  type IncrementalDeliveryOptions,
} from './incrementalDelivery.js';

export { acceptsDeferSpec20220824 } from './acceptNegotiation.js';
export { withDeferDirective } from './deferPlanning.js';

export interface DeferSupport {
  /** For `ApolloGateway`: plan Defer nodes (only where our executor runs them). */
  readonly queryPlannerConfig: GatewayConfig['queryPlannerConfig'];
  /** Declares `@defer` in the API schema Apollo Server validates against; before `ApolloServer#start`. */
  declareDirective(gateway: ApolloGateway): void;
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  readonly withSubsequentPayloadHooks: IncrementalDelivery['withSubsequentPayloadHooks'];
  /** For `installFastExecutor`; undefined with the stock executor. */
  readonly incrementalDelivery: IncrementalDelivery['executor'] | undefined;
}

/**
 * `@defer` on queries (docs/live-changes.md): planned by Apollo's planner, run by our executor
 * (@cip/plan-executor), delivered as `multipart/mixed; deferSpec=20220824` (incrementalDelivery.ts).
 * With PLAN_EXECUTOR=stock, which cannot run Defer nodes, `@defer` stays unknown to the schema.
 */
export function buildDeferSupport(enabled: boolean, options: IncrementalDeliveryOptions): DeferSupport {
  if (!enabled) {
    return {
      queryPlannerConfig: undefined,
      declareDirective: () => undefined,
      plugins: [],
      withSubsequentPayloadHooks: (plugins) => plugins,
      incrementalDelivery: undefined,
    };
  }
  const delivery = incrementalDelivery(options);
  return {
    queryPlannerConfig: deferPlannerConfig,
    declareDirective: declareDeferDirective,
    plugins: [delivery.plugin],
    withSubsequentPayloadHooks: (plugins) => delivery.withSubsequentPayloadHooks(plugins),
    incrementalDelivery: delivery.executor,
  };
}
