export {
  PgliteDatabase,
  PostgresDatabase,
  type Database,
  type PostgresOptions,
  type Queryable,
  type Unlisten,
} from './database.js';
export { migrate, readMigrations, type Migration, type MigrationResult } from './migrations.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_PAGE_SIZE,
  childPageLoader,
  connectionParts,
  encodeCursor,
  fetchPage,
  givenFilters,
  parsePage,
  toConnection,
  type ChildPageKey,
  type ChildPageSql,
  type Connection,
  type ConnectionParts,
  type Keyed,
  type ListFilter,
  type ListSql,
  type Page,
  type PageArgs,
} from './pagination.js';
export { openPglite } from './pglite.js';
export { createSubgraphMetrics, subgraphObservabilityPlugin, type SubgraphMetrics } from './observability.js';
export {
  buildSubgraphApp,
  migrateSubgraph,
  type OfficeSigning,
  type SubgraphApp,
  type SubgraphDeps,
  type SubgraphModule,
} from './server.js';
export {
  openStore,
  parseSubgraphConfig,
  subgraphConfigSections,
  type OfficeSigningSettings,
  type StoreSettings,
  type SubgraphConfig,
} from './config.js';
export { runSubgraph } from './main.js';
export { byIdLoader, groupLoader, sourceColumn } from './loaders.js';
export { callerOf, gatewaySignatureCheck, type GatewaySignatureCheck } from './gatewaySignature.js';
export { openReplayStore, redisReplayStore } from './replayStore.js';
export { mayRead, restrictedFields, ruledFields, type AccessRule, type RuledField } from './fieldAccess.js';
export { enforceFieldRules, honouredClaims } from './fieldEnforcement.js';
export * from './writes/index.js';
export * from './bulk/index.js';
export * from './records/index.js';
export * from './changes/index.js';
