import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
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
