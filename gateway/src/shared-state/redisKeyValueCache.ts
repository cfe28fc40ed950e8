import type { PersistedQueryOptions } from '@apollo/server';
import type { Redis } from 'ioredis';
import type { RedisFailureReporter } from './redisFailures.js';

/** Apollo's `KeyValueCache<string>` (the shape `persistedQueries.cache` takes). */
export type StringCache = NonNullable<PersistedQueryOptions['cache']>;

/**
 * A `KeyValueCache` in Redis that never fails its caller: on any Redis error it reports it (logged
 * and counted, redisFailures.ts) and behaves as a miss (`get`) or a no-op (`set`, `delete`). For
 * APQ a miss only makes the client send the full document again, so the gateway keeps serving
 * while Redis is down and shares again as soon as it is back.
 */
export class RedisKeyValueCache implements StringCache {
  constructor(
    private readonly redis: Redis,
    private readonly failed: RedisFailureReporter,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(key)) ?? undefined;
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  /** `ttl` in seconds, as Apollo passes it; none (or null) keeps the entry until evicted. */
  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    try {
      const ttl = options?.ttl;
      if (typeof ttl === 'number' && ttl > 0) await this.redis.set(key, value, 'EX', Math.ceil(ttl));
      else await this.redis.set(key, value);
    } catch (error) {
      this.failed('set', error);
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(key)) > 0;
    } catch (error) {
      this.failed('delete', error);
      return false;
    }
  }
}
