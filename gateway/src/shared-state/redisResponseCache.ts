import type { Logger } from '@cip/core';
import type { Redis } from 'ioredis';
import type { RedisFailureReporter } from './redisFailures.js';
import { EVERY_ANSWER_TAG, MemoryResponseCache, type ResponseCacheStore } from './responseCacheStore.js';

const ENTRY = 'rc:entry:';
const TAG = 'rc:tag:';
/** The pub/sub channel of invalidations (channels are not keys: no key prefix applies). */
export const INVALIDATION_CHANNEL = 'rc:invalidations';
/** Past this many distinct tags held back through an outage, hold back one that drops every answer instead. */
export const MAX_UNSENT_TAGS = 10_000;

interface StoredEntry {
  value: string;
  tags: readonly string[];
}

/**
 * The response cache shared by replicas: entries in Redis (`rc:entry:<key>`, with a tag index
 * `rc:tag:<tag>` of entry keys), and in front of it each replica's memory. An invalidation deletes
 * the tagged entries in Redis and is published, so every replica drops them from its memory too.
 * Any Redis error is counted and the cache is bypassed (memory only, a miss at worst). Two things
 * keep a lost connection from serving stale answers once it is back: each time the subscription is
 * made again the memory level is emptied (invalidations may have been missed, even over a drop too
 * short to raise an error), and an invalidation that could not reach Redis is kept and sent when
 * Redis is ready again; until then this replica does not serve the entries it names from Redis.
 */
export class RedisResponseCache implements ResponseCacheStore {
  private readonly local = new MemoryResponseCache();
  private readonly channel: string;
  /** Tags invalidated here that Redis and the other replicas have not heard of yet, each with its turn. */
  private readonly unsent = new Map<string, number>();
  private turn = 0;
  private resending: Promise<void> | undefined;
  private subscribed: Promise<void> = Promise.resolve();
  private readonly resendWhenReady = () => this.resendUnsent();

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
    // Subscribing takes a connection of its own. It subscribes on every (re)connection itself, so
    // that it knows when the subscription is back and can forget what it may have missed.
    const subscriber = redis.duplicate({ autoResubscribe: false });
    const cache = new RedisResponseCache(redis, subscriber, keyPrefix, report, logger);
    subscriber.on('message', (channel: string, message: string) => cache.received(channel, message));
    subscriber.on('error', () => undefined); // counted where a command fails; the client reconnects by itself
    subscriber.on('ready', () => {
      cache.subscribed = cache.subscribe();
    });
    redis.on('ready', cache.resendWhenReady);
    try {
      await subscriber.connect();
    } catch (error) {
      cache.failed('subscribe', error);
    }
    await cache.subscribed;
    return cache;
  }

  mark(): number {
    return this.local.mark();
  }

  async get(key: string): Promise<string | undefined> {
    const local = await this.local.get(key);
    if (local !== undefined) return local;
    if (this.redis.status === 'ready') this.resendUnsent();
    const since = this.local.mark();
    try {
      const [stored, ttlMs] = await Promise.all([this.redis.get(ENTRY + key), this.redis.pttl(ENTRY + key)]);
      if (stored === null) return undefined;
      const entry = JSON.parse(stored) as StoredEntry;
      // Invalidated here while Redis was out of reach: in Redis, it is still the answer from before the write.
      if (entry.tags.some((tag) => this.unsent.has(tag))) return undefined;
      if (ttlMs > 0) await this.local.set(key, entry.value, entry.tags, ttlMs / 1000, since);
      return entry.value;
    } catch (error) {
      this.failed('get', error);
      return undefined;
    }
  }

  async set(key: string, value: string, tags: readonly string[], ttlSeconds: number, since?: number): Promise<void> {
    if (since !== undefined && !this.local.mayStore(tags, since)) return;
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
    this.turn += 1;
    const batch = new Map(tags.map((tag) => [tag, this.turn]));
    for (const [tag, turn] of batch) this.unsent.set(tag, turn);
    if (this.unsent.size > MAX_UNSENT_TAGS) {
      // A long outage with many writes: memory stays bounded, and once Redis is back it is all dropped.
      this.unsent.clear();
      this.unsent.set(EVERY_ANSWER_TAG, this.turn);
      await this.send(new Map(this.unsent));
      return;
    }
    await this.send(batch);
  }

  async close(): Promise<void> {
    this.redis.off('ready', this.resendWhenReady);
    this.subscriber.disconnect();
    await this.local.close();
  }

  /** Sends again, once at a time, the invalidations that could not reach Redis. */
  private resendUnsent(): void {
    if (this.resending || this.unsent.size === 0) return;
    this.resending = this.send(new Map(this.unsent)).finally(() => {
      this.resending = undefined;
    });
  }

  /** Carries out these invalidations in Redis and publishes them to every replica; on an error they stay unsent. */
  private async send(batch: ReadonlyMap<string, number>): Promise<void> {
    try {
      for (const tag of batch.keys()) {
        const keys = await this.redis.smembers(TAG + tag);
        await this.redis.del(TAG + tag, ...keys.map((key) => ENTRY + key));
      }
      await this.redis.publish(this.channel, JSON.stringify([...batch.keys()]));
    } catch (error) {
      this.failed('invalidate', error);
      return;
    }
    // A tag invalidated again since stays unsent until that later invalidation is sent too.
    for (const [tag, turn] of batch) if (this.unsent.get(tag) === turn) this.unsent.delete(tag);
  }

  private async subscribe(): Promise<void> {
    try {
      await this.subscriber.subscribe(this.channel);
      // Invalidations published while the subscription was down are lost: forget what they may have named.
      this.local.clear();
    } catch (error) {
      this.failed('subscribe', error);
    }
  }

  private received(channel: string, message: string): void {
    if (channel !== this.channel) return;
    try {
      const parsed = JSON.parse(message) as unknown;
      if (!Array.isArray(parsed)) return;
      const tags = parsed.filter((tag): tag is string => typeof tag === 'string');
      // An answer this replica computed before the write but stored in Redis after the writer deleted
      // the tagged entries would outlive the invalidation there: drop what it holds under them in Redis too.
      const keys = this.local.keysUnder(tags);
      void this.local.invalidate(tags);
      if (keys.length > 0)
        this.redis.del(...keys.map((key) => ENTRY + key)).catch((error: unknown) => this.failed('invalidate', error));
    } catch (error) {
      this.logger.warn({ err: error }, 'ignored a malformed response cache invalidation');
    }
  }

  private failed(operation: string, error: unknown): void {
    this.report(`response_cache_${operation}`, error);
  }
}
