import { createLogger, entryPointCommand, readCommandLine, stopOnSignal, type Env } from '@cip/core';
import type { BaseContext } from '@apollo/server';
import { openStore, parseSubgraphConfig, subgraphConfigSections } from './config.js';
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
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const entry = `node subgraphs/${module.name}/dist/index.js`;
  readCommandLine(
    entryPointCommand({
      name: entry,
      summary: `starts the ${module.name} office's subgraph alone, on its own port and store`,
      sections: subgraphConfigSections(defaultPort),
    }),
    argv,
  );
  // GATEWAY_SIGNING_SECRET is required in production: the config refuses to start without it.
  const config = parseSubgraphConfig(module.name, defaultPort, env);
  const logger = createLogger(`subgraph-${module.name}`, config.server.logLevel);
  const { signingSecret } = config.security;
  if (!signingSecret)
    logger.warn(
      'GATEWAY_SIGNING_SECRET is not set: this subgraph accepts requests that did not come through the gateway.',
    );
  const stopTracing = exportSubgraphTraces(module.name, config.observability.otlpEndpoint, logger);
  const db = await openStore(config.store);
  const migrations = await migrateSubgraph(module, db);
  logger.info({ store: db.kind, ...migrations }, 'store ready');
  const app = await buildSubgraphApp(module, {
    db,
    logger,
    mode: config.server.mode,
    stackTraces: config.server.stackTraces,
    maxBodyBytes: config.server.maxBodyBytes,
    signingSecret,
    peers: config.peers,
  });
  const url = await app.listen(config.server.host, config.server.port);
  logger.info({ url: `${url}/graphql` }, 'subgraph listening');
  stopOnSignal(async () => {
    await app.stop();
    await db.close();
    await stopTracing?.();
  }, logger);
}
