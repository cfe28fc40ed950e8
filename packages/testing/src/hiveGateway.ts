import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Hive Gateway, installed apart from the workspaces (bench/contenders/hive/package.json). */
export const HIVE_GATEWAY_BIN = join(root, 'bench/contenders/hive/node_modules/@graphql-hive/gateway/dist/bin.js');
/** Our configuration of it: JWT, authorization directives, subgraph signing (see docs/hive-gateway.md). */
export const HIVE_GATEWAY_CONFIG = join(root, 'deploy/hive-gateway/gateway.config.mjs');
const SUPERGRAPH = join(root, 'schema/supergraph.graphql');

export interface RunningHiveGateway {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:38211/graphql`. */
  url: string;
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A port free right now. Hive prints the port it was given, not the one it got (`--port 0` logs
 * `:0`), so the test picks the port itself; the moment between closing and Hive binding is a race
 * no other process on a test machine is likely to win.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(forced);
}

/** The one-time step that installs Hive Gateway apart from the workspaces (README, `.ci/run`). */
export const HIVE_GATEWAY_INSTALL = 'npm run hive:install';

/**
 * Why the Hive Gateway suites cannot run here, or undefined when they can. Installing it is a step
 * of its own, never a test's setup: on a busy machine the install alone outlasted the setup's time.
 */
export function hiveGatewaySkipReason(): string | undefined {
  return existsSync(HIVE_GATEWAY_BIN)
    ? undefined
    : `Hive Gateway is not installed (run \`${HIVE_GATEWAY_INSTALL}\` once)`;
}

/**
 * Starts Hive Gateway as a child process on a free loopback port, over the committed supergraph
 * as it is, its subgraphs found at `subgraphUrls` (`SUBGRAPH_URLS`, read by the config), with
 * `env` (JWT settings, signing secret). Resolves once it listens; fails with its output if it exits
 * or does not listen within 30 s.
 */
export async function startHiveGateway(
  subgraphUrls: Record<string, string>,
  env: Record<string, string>,
): Promise<RunningHiveGateway> {
  // An empty working directory: Hive looks there for default config and env files of its own.
  const directory = await mkdtemp(join(tmpdir(), 'cip-hive-'));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      HIVE_GATEWAY_BIN,
      'supergraph',
      SUPERGRAPH,
      '--config-path',
      HIVE_GATEWAY_CONFIG,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--fork',
      '1',
    ],
    {
      cwd: directory,
      // Only what the config reads, plus PATH: nothing of the test process leaks into Hive's settings.
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        NO_COLOR: '1',
        SUBGRAPH_URLS: Object.entries(subgraphUrls)
          .map(([name, url]) => `${name}=${url}`)
          .join(','),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`Hive Gateway did not start in 30 s:\n${output}`)), 30_000);
      const onExit = (code: number | null) => {
        clearTimeout(timeout);
        reject(new Error(`Hive Gateway exited (${code}) before listening:\n${output}`));
      };
      child.once('exit', onExit);
      const onData = () => {
        if (!output.includes('Listening on')) return;
        clearTimeout(timeout);
        child.off('exit', onExit);
        child.stdout.off('data', onData);
        child.stderr.off('data', onData);
        resolve(`http://127.0.0.1:${port}/graphql`);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
    });
    return { url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
