import { Redis } from 'ioredis';
import type { Logger } from '@cip/core';

export interface RedisConnectionOptions {
  url: string;
  /** Prepended to every key this connection touches, so several deployments (or tests) can share one Redis. */
  keyPrefix: string;
  /** Longest a single command may take before it counts as failed (the request goes on without it). */
  commandTimeoutMs: number;
  /** Longest start-up waits for the first connection; past it the gateway starts anyway and keeps reconnecting. */
  connectTimeoutMs: number;
  logger: Logger;
}

/**
 * One ioredis connection, set up so that Redis being slow or gone never holds a request:
 * commands are not queued while disconnected (`enableOfflineQueue: false`: they fail at once and
 * the caller treats that as a miss), each command has a timeout, and the client keeps reconnecting
 * in the background (backoff capped at 2 s) so sharing resumes by itself when Redis returns.
 * Connection state changes are logged once each, not once per failed command.
 */
export async function openRedisConnection(options: RedisConnectionOptions): Promise<Redis> {
  const { logger } = options;
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: true,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.error({ err: error }, 'Redis unreachable: shared state (APQ, response cache) bypassed until it returns');
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis reachable again: shared state resumed');
    down = false;
  });
  // A first connection that fails is not fatal: the gateway serves without shared state meanwhile.
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, options.connectTimeoutMs).unref()),
  ]);
  return redis;
}

/** Closes the connection, politely if it is up. */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
  else redis.disconnect();
}
