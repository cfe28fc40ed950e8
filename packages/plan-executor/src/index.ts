export { installFastExecutor, type PlanExecutorStats } from './fastExecutor.js';
export { isDeferred } from './resultShaping.js';
export type { DeferredPart, DeferredPartSink, IncrementalDelivery, SubsequentPayload } from './deferExecution.js';
export {
  GatewayInternalsError,
  INCOMING_OPERATION,
  installedApolloGatewayVersion,
  LOADING_SCHEMA,
  observePlanLookups,
  VERIFIED_APOLLO_GATEWAY_VERSION,
} from './gatewayInternals.js';
export { directSource, type DirectSubgraphSource, type PlanFetch } from './directFetch.js';
export {
  subscriptionExecutor,
  type OfficeEvent,
  type PlannedSubscription,
  type SubscriptionExecutor,
  type SubscriptionPlanning,
} from './subscriptionExecutor.js';
