import type { BaseContext } from '@apollo/server';
import { envVar, parseEnv, type Env, type Logger } from '@cip/core';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { readCompositionInput } from '@cip/schema';
import { agreementsSubgraph } from '@cip/subgraph-agreements';
import {
  PgliteDatabase,
  buildSubgraphApp,
  migrateSubgraph,
  openPglite,
  type Database,
  type SubgraphApp,
  type SubgraphModule,
} from '@cip/subgraph-kit';
import { partnersSubgraph } from '@cip/subgraph-partners';
import { sectorsSubgraph } from '@cip/subgraph-sectors';
import { threatFocusAreasSubgraph } from '@cip/subgraph-threat-focus-areas';
import { z } from 'zod';

/** Every office's subgraph, by its name in the composition input. */
export const subgraphModules: readonly SubgraphModule<BaseContext>[] = [
  partnersSubgraph,
  agreementsSubgraph,
  sectorsSubgraph,
  threatFocusAreasSubgraph,
];

const stackConfigShape = {
  NODE_ENV: envVar.mode(),
  HOST: envVar.host(),
  /** The gateway's port; subgraphs listen on the ports of their routing URLs in schema/subgraphs.json. */
  PORT: envVar.port(4000),
  /** Set to true to put every subgraph on a free port (tests, or when 4001-4004 are taken). */
  SUBGRAPH_PORTS_ANY: envVar.flag(false),
  PGLITE_DATA_DIR: z.string().min(1).default('memory://'),
  MAX_BODY_BYTES: envVar.positiveInt(1_048_576),
};

export type StackConfig = z.infer<z.ZodObject<typeof stackConfigShape>>;

export function parseStackConfig(env: Env): StackConfig {
  return parseEnv('stack', stackConfigShape, env);
}

export interface Stack {
  gatewayUrl: string;
  subgraphUrls: Record<string, string>;
  gateway: GatewayApp;
  subgraphs: SubgraphApp<BaseContext>[];
  /** Each subgraph's handle on the one embedded store (its statements can be observed one office at a time). */
  stores: Record<string, Database>;
  stop(): Promise<void>;
}

/**
 * Starts the four subgraphs and the gateway in this process over one PGlite instance, each office
 * in its own PostgreSQL schema. One instance instead of four keeps the system well under its memory
 * budget; the subgraphs still talk to each other only through the gateway, over HTTP.
 */
export async function startStack(env: Env, logger: Logger): Promise<Stack> {
  const config = parseStackConfig(env);
  const gatewayConfig = parseGatewayConfig(env);
  const routing = new Map((await readCompositionInput()).map((subgraph) => [subgraph.name, subgraph.routingUrl]));
  const store = new PgliteDatabase(await openPglite(config.PGLITE_DATA_DIR));
  const subgraphs: SubgraphApp<BaseContext>[] = [];
  const stores: Record<string, Database> = {};
  let gateway: GatewayApp | undefined;
  const stop = async () => {
    await gateway?.stop();
    await Promise.all(subgraphs.map((subgraph) => subgraph.stop()));
    await store.close();
  };
  try {
    const subgraphUrls: Record<string, string> = {};
    for (const module of subgraphModules) {
      const routingUrl = routing.get(module.name);
      if (!routingUrl) throw new Error(`Subgraph ${module.name} is not in the composition input schema/subgraphs.json`);
      const db = store.share();
      stores[module.name] = db;
      const migrations = await migrateSubgraph(module, db);
      logger.debug({ subgraph: module.name, ...migrations }, 'store migrated');
      const app = await buildSubgraphApp(module, {
        db,
        logger,
        mode: config.NODE_ENV,
        maxBodyBytes: config.MAX_BODY_BYTES,
      });
      subgraphs.push(app);
      const port = config.SUBGRAPH_PORTS_ANY ? 0 : Number(new URL(routingUrl).port);
      subgraphUrls[module.name] = `${await app.listen(config.HOST, port)}/graphql`;
    }
    gateway = await buildGateway(
      { ...gatewayConfig, SUBGRAPH_URLS: { ...subgraphUrls, ...gatewayConfig.SUBGRAPH_URLS } },
      logger,
    );
    const gatewayUrl = `${await gateway.listen(config.HOST, config.PORT)}/graphql`;
    return { gatewayUrl, subgraphUrls, gateway, subgraphs, stores, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
