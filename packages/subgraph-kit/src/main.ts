import { createLogger, stopOnSignal, type Env } from '@cip/core';
import type { BaseContext } from '@apollo/server';
import { openStore, parseSubgraphConfig } from './config.js';
import { buildSubgraphApp, migrateSubgraph, type SubgraphModule } from './server.js';

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
  const db = await openStore(config);
  const migrations = await migrateSubgraph(module, db);
  logger.info({ store: db.kind, ...migrations }, 'store ready');
  const app = await buildSubgraphApp(module, {
    db,
    logger,
    mode: config.NODE_ENV,
    maxBodyBytes: config.MAX_BODY_BYTES,
  });
  const url = await app.listen(config.HOST, config.PORT);
  logger.info({ url: `${url}/graphql` }, 'subgraph listening');
  stopOnSignal(async () => {
    await app.stop();
    await db.close();
  }, logger);
}
