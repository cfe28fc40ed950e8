import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { closeRedisConnection, openRedisConnection } from './redisConnection.js';
import { MAX_UNSENT_TAGS, RedisResponseCache } from './redisResponseCache.js';
import { EVERY_ANSWER_TAG, MemoryResponseCache } from './responseCacheStore.js';
import { createSharedStateMetrics } from './sharedStateMetrics.js';
import { redisFailureReporter } from './redisFailures.js';
import { TEST_REDIS_URL, deleteKeysUnder, randomKeyPrefix, startTcpProxy } from '@cip/testing/redis';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met within 5 s');
}

async function replica(prefix: string, url = TEST_REDIS_URL) {
  const redis = await openRedisConnection({
    url,
    keyPrefix: prefix,
    commandTimeoutMs: 500,
    connectTimeoutMs: 2_000,
    logger,
  });
  const metrics = createSharedStateMetrics(new Registry());
  const cache = await RedisResponseCache.open(redis, prefix, redisFailureReporter(metrics.errors, logger), logger);
  cleanups.push(async () => {
    await cache.close();
    await closeRedisConnection(redis);
  });
  return { cache, redis, metrics };
}

describe('MemoryResponseCache', () => {
  it('drops exactly the entries stored under an invalidated tag', async () => {
    const cache = new MemoryResponseCache();
    await cache.set('a', 'A', ['Partner', 'Partner:canada'], 60);
    await cache.set('b', 'B', ['Partner', 'Partner:mexico'], 60);
    await cache.invalidate(['Partner:canada']);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('B');
    await cache.invalidate(['Partner']);
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, the oldest out first', async () => {
    const cache = new MemoryResponseCache(2);
    for (const key of ['a', 'b', 'c']) await cache.set(key, key, [`T:${key}`], 60);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('c')).toBe('c');
  });
});

describe('RedisResponseCache', () => {
  it('shares entries between replicas, and an invalidation on one reaches the memory of the other', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const one = await replica(prefix);
    const two = await replica(prefix);
    await one.cache.set('k', '{"partner":{"id":"canada"}}', ['Partner', 'Partner:canada'], 60);
    expect(await two.cache.get('k')).toBe('{"partner":{"id":"canada"}}'); // now in two's memory as well
    await one.cache.invalidate(['Partner:canada']);
    await eventually(async () => (await two.cache.get('k')) === undefined);
    expect(await one.redis.exists('rc:entry:k', 'rc:tag:Partner:canada')).toBe(0);
  });

  it('with Redis unreachable it serves from memory and counts errors, then shares again', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const cut = await replica(prefix, proxy.url);
    const other = await replica(prefix);
    await proxy.cut();
    await cut.cache.set('k', 'v', ['T:1'], 60);
    expect(await cut.cache.get('k')).toBe('v');
    expect(await cut.cache.get('elsewhere')).toBeUndefined();
    const errors = (await cut.metrics.errors.get()).values.reduce((sum, { value }) => sum + value, 0);
    expect(errors).toBeGreaterThanOrEqual(2);
    await proxy.restore();
    await eventually(async () => cut.redis.status === 'ready');
    await other.cache.set('shared', 'yes', ['T:2'], 60);
    expect(await cut.cache.get('shared')).toBe('yes');
  });
});

describe('RedisResponseCache across a lost connection', () => {
  it('a replica whose subscription dropped and came back at once forgets what it may have missed', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const dropped = await replica(prefix, proxy.url);
    const writer = await replica(prefix);
    await dropped.cache.set('k', 'before the write', ['Partner:canada'], 60);
    // Both connections drop and return before the first reconnect attempt: no connection error at all.
    await proxy.cut();
    await writer.cache.invalidate(['Partner:canada']);
    await proxy.restore();
    await eventually(async () => (await dropped.cache.get('k')) === undefined);
  });

  it('an invalidation that could not reach Redis is carried out when Redis returns', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const cut = await replica(prefix, proxy.url);
    const other = await replica(prefix);
    await cut.cache.set('k', 'before the write', ['Partner', 'Partner:canada'], 60);
    expect(await other.cache.get('k')).toBe('before the write'); // in other's memory too
    await proxy.cut();
    // The write is committed and announced while this replica cannot reach Redis.
    await cut.cache.invalidate(['Partner:canada']);
    expect(await cut.cache.get('k')).toBeUndefined();
    await proxy.restore();
    await eventually(async () => cut.redis.status === 'ready');
    // Neither this replica (from Redis) nor the other (from its memory) serves the old answer.
    await eventually(async () => (await other.cache.get('k')) === undefined);
    expect(await cut.cache.get('k')).toBeUndefined();
    expect(await cut.redis.exists('rc:entry:k')).toBe(0);
  });

  it('past MAX_UNSENT_TAGS held back in an outage, it holds back one that drops every answer', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const cut = await replica(prefix, proxy.url);
    const other = await replica(prefix);
    await other.cache.set('untouched', 'a sector answer', ['Sector', 'Sector:energy', EVERY_ANSWER_TAG], 60);
    expect(await other.cache.get('untouched')).toBe('a sector answer');
    await proxy.cut();
    const manyPartners = Array.from({ length: MAX_UNSENT_TAGS + 1 }, (_, i) => `Partner:p${i}`);
    await cut.cache.invalidate(manyPartners);
    await proxy.restore();
    await eventually(async () => cut.redis.status === 'ready');
    // Too many to remember one by one: every answer goes, the untouched one too, in Redis and on every replica.
    await eventually(async () => (await other.cache.get('untouched')) === undefined);
    expect(await other.redis.exists('rc:entry:untouched')).toBe(0);
  });

  it('a replica started while Redis was unreachable subscribes once it is there, and hears invalidations', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    await proxy.cut();
    const late = await replica(prefix, proxy.url);
    const writer = await replica(prefix);
    await proxy.restore();
    await eventually(async () => late.redis.status === 'ready');
    await late.cache.set('k', 'before the write', ['Partner:canada'], 60);
    await writer.cache.invalidate(['Partner:canada']);
    await eventually(async () => (await late.cache.get('k')) === undefined);
  });
});

describe('storing only answers begun after the last invalidation of what they show', () => {
  it('MemoryResponseCache refuses an answer begun before one of its tags was invalidated', async () => {
    const cache = new MemoryResponseCache();
    const since = cache.mark();
    await cache.invalidate(['Partner:canada']);
    await cache.set('stale', 'old', ['Partner', 'Partner:canada'], 60, since);
    await cache.set('other', 'fine', ['Partner', 'Partner:mexico'], 60, since);
    await cache.set('after', 'new', ['Partner', 'Partner:canada'], 60, cache.mark());
    expect(await cache.get('stale')).toBeUndefined();
    expect(await cache.get('other')).toBe('fine');
    expect(await cache.get('after')).toBe('new');
    // Emptied (a lost subscription): nothing begun before is stored.
    const beforeClear = cache.mark();
    cache.clear();
    await cache.set('begun before', 'x', ['T:1'], 60, beforeClear);
    expect(await cache.get('begun before')).toBeUndefined();
  });

  it('RedisResponseCache: an answer another replica stored in Redis just before hearing of the write is dropped there too', async () => {
    const prefix = randomKeyPrefix();
    cleanups.push(() => deleteKeysUnder(prefix));
    const reader = await replica(prefix);
    const writer = await replica(prefix);
    // The reader stores an answer computed before the write, after the writer deleted the tagged entries...
    await writer.cache.invalidate(['Partner:canada']);
    await reader.cache.set('k', 'before the write', ['Partner', 'Partner:canada'], 60);
    // ...and then hears of the invalidation (published, as the writer does after deleting).
    await writer.redis.publish(`${prefix}rc:invalidations`, JSON.stringify(['Partner:canada']));
    await eventually(async () => (await writer.redis.exists('rc:entry:k')) === 0);
    expect(await writer.cache.get('k')).toBeUndefined();
    expect(await reader.cache.get('k')).toBeUndefined();
  });
});
