import { createLogger, entryPointCommand, readCommandLine, stopOnSignal, type Env } from '@cip/core';
import type { BaseContext } from '@apollo/server';
import { openStore, parseSubgraphConfig, subgraphConfigSections } from './config.js';
import { buildSubgraphApp, migrateSubgraph, type SubgraphModule } from './server.js';
import { exportSubgraphTraces } from './tracing.js';
import { openReplayStore } from './replayStore.js';

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
  // OFFICE_SIGNING_KEYS is required in production: the config refuses to start without it.
  const config = parseSubgraphConfig(module.name, defaultPort, env);
  const logger = createLogger(`subgraph-${module.name}`, config.server.logLevel);
  const { keys, peerKeys, lifetimeMs, clockSkewMs } = config.security;
  if (!keys)
    logger.warn(
      'OFFICE_SIGNING_KEYS is not set: this subgraph accepts requests that did not come through the gateway.',
    );
  if (env.GATEWAY_SIGNING_SECRET)
    logger.warn('GATEWAY_SIGNING_SECRET is ignored by an office: it holds only its own key (OFFICE_SIGNING_KEYS).');
  const replays = await openReplayStore(config.security.replays, module.name, logger);
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
    signing: keys && {
      keys: { keys, peerKey: (peer) => peerKeys[peer] },
      lifetimeMs,
      clockSkewMs,
      replays: replays.store,
    },
    peers: config.peers,
    subscriptions: config.subscriptions,
  });
  const url = await app.listen(config.server.host, config.server.port);
  logger.info({ url: `${url}/graphql` }, 'subgraph listening');
  stopOnSignal(async () => {
    await app.stop();
    await db.close();
    await replays.close();
    await stopTracing?.();
  }, logger);
}
