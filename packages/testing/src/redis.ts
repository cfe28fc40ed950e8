import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** The machine's Redis that tests use (no persistence); REDIS_TEST_URL overrides it. */
export const TEST_REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for one test, so tests running at once never see each other's keys. */
export function randomKeyPrefix(): string {
  return `cip-test:${randomBytes(6).toString('hex')}:`;
}

/** Keys under `prefix` (without a prefixing client, so the full names come back). */
export async function keysUnder(prefix: string, url = TEST_REDIS_URL): Promise<string[]> {
  const redis = new Redis(url);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix`: each test cleans up after itself. */
export async function deleteKeysUnder(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const keys = await keysUnder(prefix, url);
  if (keys.length === 0) return;
  const redis = new Redis(url);
  try {
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export interface TcpProxy {
  /** `redis://127.0.0.1:<port>`: Redis as seen through the proxy. */
  readonly url: string;
  /** Redis "goes down": every open connection is cut and new ones are refused. */
  cut(): Promise<void>;
  /** Redis "comes back": the proxy listens again on the same port (and stalled traffic flows again). */
  restore(): Promise<void>;
  /** Redis "hangs": connections stay open but nothing is forwarded to it until `restore()`. */
  stall(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port in front of Redis, to break and restore a gateway's connection
 * without touching the machine's Redis (which other tests are using).
 */
export async function startTcpProxy(target = TEST_REDIS_URL): Promise<TcpProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let stalled = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const serve = (): Server =>
    createServer((client) => {
      const upstream = connect(Number(targetPort || 6379), hostname);
      track(client);
      track(upstream);
      const pair = { client, upstream };
      pairs.add(pair);
      if (!stalled) client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => {
        pairs.delete(pair);
        upstream.destroy();
      });
      upstream.on('close', () => client.destroy());
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const shut = (server: Server) =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  let server: Server | undefined = serve();
  const port = await listen(server, 0);
  return {
    url: `redis://127.0.0.1:${port}`,
    async cut() {
      if (server) await shut(server);
      server = undefined;
    },
    stall() {
      stalled = true;
      for (const { client, upstream } of pairs) client.unpipe(upstream);
    },
    async restore() {
      if (stalled) for (const { client, upstream } of pairs) client.pipe(upstream);
      stalled = false;
      if (server) return;
      server = serve();
      await listen(server, port);
    },
    async close() {
      if (server) await shut(server);
      server = undefined;
    },
  };
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  /** Redis goes down: `shutdown` is `SHUTDOWN NOSAVE` (a clean stop), `kill` is SIGKILL (a crash). Its data is gone. */
  stop(how: 'shutdown' | 'kill'): Promise<void>;
  /** Redis comes back, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it if running and removes its directory. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/**
 * A `redis-server` of the test's own on a free port, without persistence, in a temporary directory:
 * a real Redis the test may stop and start again, without touching the machine's Redis (which other
 * tests are using). REDIS_SERVER_BIN overrides the binary.
 */
export async function startRedisServer(
  binary = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server',
): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'cip-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const started = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    exited = once(started, 'exit');
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      started.stdout.on('data', onData);
      started.stderr.on('data', onData);
      started.once('error', reject);
      void exited.then(() => reject(new Error(`redis-server on port ${port} exited at start:\n${output}`)));
    });
    // Drain its log from here on, so a full pipe never blocks it.
    started.stdout.resume();
    started.stderr.resume();
  };

  const stop = async (how: 'shutdown' | 'kill') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    if (how === 'kill') child.kill('SIGKILL');
    else {
      const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      // Redis closes the connection instead of answering SHUTDOWN.
      await client.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      client.disconnect();
    }
    await exited;
    child = undefined;
  };

  // Not left running if the test process ends without closing it.
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  await start();
  return {
    url,
    stop,
    start,
    async close() {
      await stop('kill');
      process.off('exit', killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
