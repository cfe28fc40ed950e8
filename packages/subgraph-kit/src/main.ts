import { ConfigError, createLogger, stopOnSignal, type Env } from '@cip/core';
import type { BaseContext } from '@apollo/server';
import { openStore, parseSubgraphConfig } from './config.js';
import { buildSubgraphApp, migrateSubgraph, type SubgraphModule } from './server.js';
import { exportSubgraphTraces } from './tracing.js';

/**
 * Starts one office's subgraph alone, as a deployment would: config from env, its own store
 * (migrated before it answers), its own port. Stops cleanly on SIGINT/SIGTERM.
 */
export async function runSubgraph<TContext extends BaseContext>(
  module: SubgraphModule<TContext>,
  defaultPort: number,
  env: Env = process.env,
): Promise<void> {
  const config = parseSubgraphConfig(module.name, defaultPort, env);
  const logger = createLogger(`subgraph-${module.name}`, config.LOG_LEVEL);
  if (!config.GATEWAY_SIGNING_SECRET && config.NODE_ENV === 'production')
    throw new ConfigError(`subgraph ${module.name}`, [
      'GATEWAY_SIGNING_SECRET: required in production, so that only the gateway can call this subgraph',
    ]);
  if (!config.GATEWAY_SIGNING_SECRET)
    logger.warn(
      'GATEWAY_SIGNING_SECRET is not set: this subgraph accepts requests that did not come through the gateway.',
    );
  const stopTracing = exportSubgraphTraces(module.name, config.OTEL_EXPORTER_OTLP_ENDPOINT, logger);
  const db = await openStore(config);
  const migrations = await migrateSubgraph(module, db);
  logger.info({ store: db.kind, ...migrations }, 'store ready');
  const app = await buildSubgraphApp(module, {
    db,
    logger,
    mode: config.NODE_ENV,
    maxBodyBytes: config.MAX_BODY_BYTES,
    signingSecret: config.GATEWAY_SIGNING_SECRET ?? null,
    peers: config.SUBGRAPH_PEER_URLS,
  });
  const url = await app.listen(config.HOST, config.PORT);
  logger.info({ url: `${url}/graphql` }, 'subgraph listening');
  stopOnSignal(async () => {
    await app.stop();
    await db.close();
    await stopTracing?.();
  }, logger);
}
