import type { Logger } from '@cip/core';
import type { Redis } from 'ioredis';
import type { RedisFailureReporter } from './redisFailures.js';
import { MemoryResponseCache, type ResponseCacheStore } from './responseCacheStore.js';

const ENTRY = 'rc:entry:';
const TAG = 'rc:tag:';
/** The pub/sub channel of invalidations (channels are not keys: no key prefix applies). */
export const INVALIDATION_CHANNEL = 'rc:invalidations';

interface StoredEntry {
  value: string;
  tags: readonly string[];
}

/**
 * The response cache shared by replicas: entries in Redis (`rc:entry:<key>`, with a tag index
 * `rc:tag:<tag>` of entry keys), and in front of it each replica's memory. An invalidation deletes
 * the tagged entries in Redis and is published, so every replica drops them from its memory too.
 * Any Redis error is counted and the cache is bypassed (memory only, a miss at worst); when the
 * subscription comes back the memory level is emptied, since invalidations may have been missed.
 */
export class RedisResponseCache implements ResponseCacheStore {
  private readonly local = new MemoryResponseCache();
  private readonly channel: string;

  private constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    keyPrefix: string,
    private readonly report: RedisFailureReporter,
    private readonly logger: Logger,
  ) {
    this.channel = `${keyPrefix}${INVALIDATION_CHANNEL}`;
  }

  static async open(
    redis: Redis,
    keyPrefix: string,
    report: RedisFailureReporter,
    logger: Logger,
  ): Promise<RedisResponseCache> {
    // Subscribing takes a connection of its own; it resubscribes by itself after reconnecting.
    const subscriber = redis.duplicate();
    const cache = new RedisResponseCache(redis, subscriber, keyPrefix, report, logger);
    subscriber.on('message', (channel: string, message: string) => cache.received(channel, message));
    let lost = false;
    subscriber.on('error', () => {
      lost = true;
    });
    subscriber.on('ready', () => {
      if (lost) cache.local.clear();
      lost = false;
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(cache.channel);
    } catch (error) {
      cache.failed('subscribe', error);
    }
    return cache;
  }

  async get(key: string): Promise<string | undefined> {
    const local = await this.local.get(key);
    if (local !== undefined) return local;
    try {
      const [stored, ttlMs] = await Promise.all([this.redis.get(ENTRY + key), this.redis.pttl(ENTRY + key)]);
      if (stored === null) return undefined;
      const entry = JSON.parse(stored) as StoredEntry;
      if (ttlMs > 0) await this.local.set(key, entry.value, entry.tags, ttlMs / 1000);
      return entry.value;
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  async set(key: string, value: string, tags: readonly string[], ttlSeconds: number): Promise<void> {
    await this.local.set(key, value, tags, ttlSeconds);
    try {
      const stored: StoredEntry = { value, tags };
      const transaction = this.redis.multi().set(ENTRY + key, JSON.stringify(stored), 'EX', ttlSeconds);
      for (const tag of tags) transaction.sadd(TAG + tag, key).expire(TAG + tag, ttlSeconds);
      await transaction.exec();
    } catch (error) {
      this.failed('set', error);
    }
  }

  async invalidate(tags: readonly string[]): Promise<void> {
    await this.local.invalidate(tags);
    try {
      for (const tag of tags) {
        const keys = await this.redis.smembers(TAG + tag);
        await this.redis.del(TAG + tag, ...keys.map((key) => ENTRY + key));
      }
      await this.redis.publish(this.channel, JSON.stringify(tags));
    } catch (error) {
      this.failed('invalidate', error);
    }
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    await this.local.close();
  }

  private received(channel: string, message: string): void {
    if (channel !== this.channel) return;
    try {
      const tags = JSON.parse(message) as unknown;
      if (Array.isArray(tags)) void this.local.invalidate(tags.filter((tag): tag is string => typeof tag === 'string'));
    } catch (error) {
      this.logger.warn({ err: error }, 'ignored a malformed response cache invalidation');
    }
  }

  private failed(operation: string, error: unknown): void {
    this.report(`response_cache_${operation}`, error);
  }
}
