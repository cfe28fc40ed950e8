import { readFile } from 'node:fs/promises';
import type { BaseContext } from '@apollo/server';
import {
  defineSection,
  envDocs,
  envVar,
  officeKeysFromMaster,
  parseConfig,
  serverSection,
  type Env,
  type Logger,
} from '@cip/core';
import { buildGateway, gatewayRules, gatewaySections, type GatewayApp, type GatewayConfig } from '@cip/gateway';
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

/** What the embedded stack adds to the gateway's options: where its offices listen and keep their data. */
export interface StackSettings {
  readonly subgraphPortsAny: boolean;
  readonly pgliteDataDir: string;
}

const stackSection = defineSection({
  shape: {
    SUBGRAPH_PORTS_ANY: envVar.flag(false).register(envDocs, {
      description: 'true puts every subgraph on a free port (tests, or when 4001-4004 are taken)',
    }),
    PGLITE_DATA_DIR: z.string().min(1).default('memory://').register(envDocs, {
      description: 'where the one embedded store keeps its files; `memory://` keeps nothing between runs',
    }),
  },
  build: (values): StackSettings => ({
    subgraphPortsAny: values.SUBGRAPH_PORTS_ANY,
    pgliteDataDir: values.PGLITE_DATA_DIR,
  }),
});

/**
 * The stack's configuration: the gateway's sections (the stack runs that gateway), with HOST,
 * NODE_ENV and MAX_BODY_BYTES applying to the offices too, and the stack's own section.
 */
export const stackSections = {
  ...gatewaySections,
  server: serverSection({
    port: 4000,
    portDescription: "the gateway's port; subgraphs listen on the ports of their routing URLs in schema/subgraphs.json",
    logLevel: 'warn',
  }),
  stack: stackSection,
};

export interface StackConfig extends GatewayConfig {
  readonly stack: StackSettings;
}

export function parseStackConfig(env: Env): StackConfig {
  return parseConfig('stack', stackSections, env, gatewayRules);
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
  return startConfiguredStack(parseStackConfig(env), logger);
}

/** {@link startStack} with its config already parsed (`npm start` reads its log level from it first). */
export async function startConfiguredStack(config: StackConfig, logger: Logger): Promise<Stack> {
  const routing = new Map((await readCompositionInput()).map((subgraph) => [subgraph.name, subgraph.routingUrl]));
  const store = new PgliteDatabase(await openPglite(config.stack.pgliteDataDir));
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
        mode: config.server.mode,
        stackTraces: config.server.stackTraces,
        maxBodyBytes: config.server.maxBodyBytes,
        // Keys derived from the gateway's master secret when one is set; otherwise from this process's own.
        ...(config.security.signingSecret
          ? { signing: { keys: officeKeysFromMaster(config.security.signingSecret, module.name) } }
          : {}),
        // Filled in as each subgraph listens: offices check references through each other's entity lookups.
        peers: subgraphUrls,
      });
      subgraphs.push(app);
      const port = config.stack.subgraphPortsAny ? 0 : Number(new URL(routingUrl).port);
      subgraphUrls[module.name] = `${await app.listen(config.server.host, port)}/graphql`;
    }
    const { supergraph } = config;
    gateway = await buildGateway(
      { ...config, supergraph: { ...supergraph, subgraphUrls: { ...subgraphUrls, ...supergraph.subgraphUrls } } },
      logger,
    );
    const gatewayUrl = `${await gateway.listen(config.server.host, config.server.port)}/graphql`;
    return { gatewayUrl, subgraphUrls, gateway, subgraphs, stores, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
