import { Redis } from 'ioredis';
import { memoryReplayStore, type Logger, type ReplayStore } from '@cip/core';
import type { OfficeSigningSettings } from './config.js';

/**
 * The ids of accepted signed requests, where every replica of the office sees them: `SET NX PX`
 * in Redis, so a request accepted by one replica is refused by the others. A Redis that cannot be
 * reached fails the check (the office answers 503) rather than letting a replay through.
 */
export function redisReplayStore(redis: Redis): ReplayStore {
  return {
    async firstUse(id, ttlMs) {
      return (await redis.set(id, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
  };
}

/** The replay store the settings name, and how to close it. */
export async function openReplayStore(
  settings: OfficeSigningSettings['replays'],
  office: string,
  logger: Logger,
): Promise<{ store: ReplayStore; close(): Promise<void> }> {
  if (settings.kind === 'memory') return { store: memoryReplayStore(), close: async () => undefined };
  const redis = new Redis(settings.url, {
    keyPrefix: `${settings.keyPrefix}${office}:replay:`,
    // A command fails at once while Redis is down (the request is refused), never waits in a queue.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: true,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.error({ err: error }, 'Redis unreachable: signed requests are refused until it returns');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis reachable again: signed requests accepted');
    down = false;
  });
  // Start-up waits up to 2 s for Redis, then goes on (refusing signed requests until it is reachable).
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
  ]);
  return {
    store: redisReplayStore(redis),
    async close() {
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}
