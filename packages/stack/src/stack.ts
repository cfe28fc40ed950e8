import { readFile } from 'node:fs/promises';
import type { BaseContext } from '@apollo/server';
import { envVar, parseEnv, type Env, type Logger } from '@cip/core';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { COMPOSITION_INPUT, readCompositionInput } from '@cip/schema';
import {
  PgliteDatabase,
  buildSubgraphApp,
  migrateSubgraph,
  openPglite,
  type Database,
  type SubgraphApp,
  type SubgraphModule,
} from '@cip/subgraph-kit';
import { z } from 'zod';

const subgraphPackages = z.object({
  subgraphs: z.array(
    z.object({
      name: z.string(),
      /** The workspace package that holds the subgraph's module, e.g. `@cip/subgraph-partners`. */
      package: z.string().min(1),
      /** The name of the module's export in that package, e.g. `partnersSubgraph`. */
      export: z.string().min(1),
    }),
  ),
});

function isSubgraphModule(value: unknown, name: string): value is SubgraphModule<BaseContext> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof SubgraphModule<BaseContext>, unknown>>;
  return (
    candidate.name === name && typeof candidate.createContext === 'function' && typeof candidate.typeDefs === 'object'
  );
}

/**
 * Every office's subgraph module, in the order of the composition input `schema/subgraphs.json`,
 * loaded from the package and export each entry names. The list is data so that adding a subgraph
 * (`npm run subgraph:new`) is a change to the composition input, not to this code.
 */
export async function loadSubgraphModules(inputFile = COMPOSITION_INPUT): Promise<SubgraphModule<BaseContext>[]> {
  const { subgraphs } = subgraphPackages.parse(JSON.parse(await readFile(inputFile, 'utf8')));
  return Promise.all(
    subgraphs.map(async (entry) => {
      const loaded = (await import(entry.package)) as Record<string, unknown>;
      const module = loaded[entry.export];
      if (!isSubgraphModule(module, entry.name)) {
        throw new Error(
          `${inputFile}: ${entry.package} has no export ${entry.export} that is the subgraph module of ${entry.name}`,
        );
      }
      return module;
    }),
  );
}

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
 * Starts every subgraph of the composition input and the gateway in this process over one PGlite
 * instance, each office in its own PostgreSQL schema. One instance instead of one per office keeps
 * the system well under its memory budget; the subgraphs still talk to each other only through the
 * gateway, over HTTP.
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
    for (const module of await loadSubgraphModules()) {
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
        // The gateway's secret when one is set; otherwise both sides share this process's own.
        ...(gatewayConfig.GATEWAY_SIGNING_SECRET ? { signingSecret: gatewayConfig.GATEWAY_SIGNING_SECRET } : {}),
        // Filled in as each subgraph listens: offices check references through each other's entity lookups.
        peers: subgraphUrls,
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
