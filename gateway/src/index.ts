export { gatewayRules, gatewaySections, parseGatewayConfig, type GatewayConfig } from './config.js';
export { buildGateway, type GatewayApp } from './server.js';
// Building blocks, for assembling a gateway of one's own and for the system tests that exercise them alone.
export { createSubgraphClient } from './execution/subgraphClient.js';
export { SubgraphDataSource } from './execution/subgraphDataSource.js';
export { supergraphFromRunningSubgraphs } from './supergraph/supergraphSource.js';
export { InMemorySpanExporter, registerTracing, type Tracing } from './observability/tracing.js';
export { buildDeferSupport, type DeferSupport } from './defer/index.js';
export { TokenRejected, createTokenVerifier } from './security/jwt.js';
