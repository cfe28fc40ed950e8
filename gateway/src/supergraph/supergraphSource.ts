import { unwatchFile, watchFile } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GetDataSourceFunction, GraphQLDataSourceProcessOptions, SupergraphSdlHook } from '@apollo/gateway';
import { redactCredentials, type Logger } from '@cip/core';
import { LOADING_SCHEMA } from '@cip/plan-executor';
import { compose, readCompositionInput, type SubgraphInput } from '@cip/schema';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { SupergraphOrigin } from './config.js';

/** What the gateway does to a supergraph before @apollo/gateway loads it (identity by default). */
export type SupergraphTransform = (supergraphSdl: string) => string;

/** Where a reload reports what it did. */
export interface SupergraphReloadReport {
  logger: Logger;
  metrics: GatewayMetrics;
}

async function readUrl(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  // A URL may carry credentials: no message or log line shows them.
  if (!response.ok) throw new Error(`GET ${redactCredentials(url)} answered HTTP ${response.status}`);
  return response.text();
}

/**
 * Serves the committed, composed supergraph file (what CI checked is what runs), or the one
 * published at a URL. With `origin.watch`, a changed supergraph replaces the served one
 * atomically: @apollo/gateway builds the new schema and plans beside the old one, and requests
 * already running finish on the old one. A supergraph that does not load (or that `transform`
 * refuses) is refused: the last good one keeps serving, an error is logged and
 * `cip_gateway_supergraph_last_reload_ok` drops to 0. Every reloaded SDL goes through `transform`.
 */
export function supergraphFromFile(
  origin: Extract<SupergraphOrigin, { kind: 'file' | 'url' }>,
  transform: SupergraphTransform,
  report: SupergraphReloadReport,
): SupergraphSdlHook {
  const read = () => (origin.kind === 'url' ? readUrl(origin.url) : readFile(origin.path, 'utf8'));
  return async ({ update }) => {
    let lastRaw = await read();
    const supergraphSdl = transform(lastRaw);
    if (!origin.watch) return { supergraphSdl };
    const { logger, metrics } = report;
    metrics.supergraphReloadOk.set(1);
    const source = origin.kind === 'url' ? redactCredentials(origin.url) : origin.path;
    let checking = false;
    const check = async () => {
      if (checking) return;
      checking = true;
      try {
        const raw = await read();
        if (raw === lastRaw) return;
        // Remembered before applying: a refused SDL is refused once, not on every poll.
        lastRaw = raw;
        update(transform(raw));
        metrics.supergraphReloads.inc({ outcome: 'applied' });
        metrics.supergraphReloadOk.set(1);
        logger.info({ source }, 'supergraph reloaded');
      } catch (error) {
        metrics.supergraphReloads.inc({ outcome: 'refused' });
        metrics.supergraphReloadOk.set(0);
        logger.error({ err: error, source }, 'supergraph reload refused; the last good supergraph keeps serving');
      } finally {
        checking = false;
      }
    };
    const onTick = () => void check();
    let cleanup: () => void;
    if (origin.kind === 'url') {
      const timer = setInterval(onTick, origin.pollMs);
      timer.unref();
      cleanup = () => clearInterval(timer);
    } else {
      const { path } = origin;
      watchFile(path, { interval: origin.pollMs, persistent: false }, onTick);
      cleanup = () => unwatchFile(path, onTick);
    }
    return { supergraphSdl, cleanup: async () => cleanup() };
  };
}

const SERVICE_SDL_QUERY = 'query __ApolloGetServiceDefinition__ { _service { sdl } }';

/** The default home of last good SDLs: outside the repository, in the OS temporary directory. */
export function defaultSdlCacheDir(): string {
  return join(tmpdir(), 'cip-gateway-sdl');
}

async function fetchServiceSdl(
  getDataSource: GetDataSourceFunction,
  name: string,
  url: string,
): Promise<string | undefined> {
  // The request kind enum is not exported by @apollo/gateway; the adapter of its internals has it.
  const options: GraphQLDataSourceProcessOptions = {
    kind: LOADING_SCHEMA,
    request: { query: SERVICE_SDL_QUERY },
    context: {},
  };
  const response = await getDataSource({ name, url }).process(options);
  const sdl = (response.data as { _service?: { sdl?: unknown } } | null | undefined)?._service?.sdl;
  return typeof sdl === 'string' && sdl.length > 0 ? sdl : undefined;
}

/**
 * Development only: composes from the running subgraphs named in the composition input, so an
 * SDL change shows up without `npm run compose`. Each subgraph's SDL, once fetched, is kept in
 * `cacheDir`; a subgraph that is down is composed from its last good SDL instead of failing the
 * whole composition (its fields then fail with SUBGRAPH_UNREACHABLE until it is back).
 */
export function supergraphFromRunningSubgraphs(
  urlOverrides: Readonly<Record<string, string>>,
  options: {
    cacheDir?: string | undefined;
    logger?: Logger;
    /** The subgraphs to compose; the composition input (schema/subgraphs.json) by default. */
    subgraphs?: readonly Pick<SubgraphInput, 'name' | 'routingUrl' | 'schemaPath'>[];
  } = {},
): SupergraphSdlHook {
  const cacheDir = options.cacheDir ?? defaultSdlCacheDir();
  return async ({ getDataSource }) => {
    const subgraphs = options.subgraphs ?? (await readCompositionInput());
    await mkdir(cacheDir, { recursive: true });
    const inputs = await Promise.all(
      subgraphs.map(async ({ name, routingUrl, schemaPath }) => {
        const url = urlOverrides[name] ?? routingUrl;
        const cached = join(cacheDir, `${name}.graphql`);
        const live = await fetchServiceSdl(getDataSource, name, url).catch(() => undefined);
        if (live) {
          await writeFile(cached, live);
          return { name, routingUrl: url, schemaPath, sdl: live };
        }
        const lastGood = await readFile(cached, 'utf8').catch(() => undefined);
        if (!lastGood)
          throw new Error(`Subgraph ${name} at ${url} is down and no last good SDL is kept in ${cacheDir}.`);
        options.logger?.warn({ subgraph: name, url, cached }, 'subgraph down; composing from its last good SDL');
        return { name, routingUrl: url, schemaPath: cached, sdl: lastGood };
      }),
    );
    const outcome = compose(inputs);
    if (!outcome.ok) {
      throw new Error(`The running subgraphs do not compose: ${outcome.errors.map((e) => e.message).join('; ')}`);
    }
    return { supergraphSdl: outcome.supergraphSdl };
  };
}
