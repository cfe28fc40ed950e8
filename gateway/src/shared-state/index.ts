import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import type { Logger } from '@cip/core';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { SharedStateSettings } from './config.js';
import { redisFailureReporter, type RedisFailureReporter } from './redisFailures.js';
import { RedisKeyValueCache } from './redisKeyValueCache.js';
import { RedisResponseCache } from './redisResponseCache.js';
import { invalidationTags, responseCachePlugin } from './responseCache.js';
import { MemoryResponseCache, type ResponseCacheStore } from './responseCacheStore.js';
import { createSharedStateMetrics } from './sharedStateMetrics.js';

export interface SharedState {
  /** Where state lives: `redis` with REDIS_URL, otherwise `memory` (each replica its own). */
  readonly store: 'memory' | 'redis';
  /** Spread into the ApolloServer options: APQ registrations in Redis, or Apollo's in-memory default. */
  readonly serverOptions: { persistedQueries?: PersistedQueryOptions };
  /** The response cache plugin when RESPONSE_CACHE=on; to run after the security plugins. */
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  /**
   * Drops every cached answer that shows one of these entities (every entity of the type when
   * `ids` is omitted), on every replica. Writes call it once committed; a no-op with the cache off.
   */
  invalidateEntities(typename: string, ids?: readonly (string | number)[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * What gateway replicas must share (docs/operating.md): APQ registrations, and the response cache
 * with its invalidations when it is on. Trusted documents need no sharing: every replica reads the
 * same manifest file at start.
 */
export async function buildSharedState(
  config: SharedStateSettings,
  logger: Logger,
  registry: Registry,
): Promise<SharedState> {
  const metrics = createSharedStateMetrics(registry);
  const { redis: redisSettings, responseCache: cacheSettings } = config;
  // ioredis is loaded only with REDIS_URL: a gateway without it never holds its modules (~4 MB RSS).
  const redisConnection = redisSettings ? await import('./redisConnection.js') : undefined;
  const redis =
    redisSettings && redisConnection
      ? await redisConnection.openRedisConnection({
          url: redisSettings.url,
          keyPrefix: redisSettings.keyPrefix,
          commandTimeoutMs: redisSettings.commandTimeoutMs,
          connectTimeoutMs: 2_000,
          logger,
        })
      : undefined;
  const reportFailure = redisFailureReporter(metrics.errors, logger);
  const responseCache = cacheSettings
    ? await openResponseCache(
        redis && redisSettings ? { redis, keyPrefix: redisSettings.keyPrefix } : undefined,
        reportFailure,
        logger,
      )
    : undefined;
  const plugins =
    responseCache && cacheSettings
      ? [
          responseCachePlugin({
            store: responseCache,
            ttlSeconds: cacheSettings.ttlSeconds,
            lookups: metrics.responseCache,
          }),
        ]
      : [];
  return {
    store: redis ? 'redis' : 'memory',
    serverOptions:
      redis && redisSettings
        ? {
            persistedQueries: {
              cache: new RedisKeyValueCache(redis, reportFailure),
              // Apollo keeps APQ entries forever unless told; in a shared Redis they would pile up.
              ttl: redisSettings.apqTtlSeconds,
            },
          }
        : {},
    plugins,
    invalidateEntities: async (typename, ids) => {
      await responseCache?.invalidate(invalidationTags(typename, ids));
    },
    async close() {
      await responseCache?.close();
      if (redis) await redisConnection?.closeRedisConnection(redis);
    },
  };
}

async function openResponseCache(
  shared: { redis: Redis; keyPrefix: string } | undefined,
  reportFailure: RedisFailureReporter,
  logger: Logger,
): Promise<ResponseCacheStore> {
  if (!shared) return new MemoryResponseCache();
  return RedisResponseCache.open(shared.redis, shared.keyPrefix, reportFailure, logger);
}
