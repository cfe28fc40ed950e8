import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { closeRedisConnection, openRedisConnection } from './redisConnection.js';
import { RedisResponseCache } from './redisResponseCache.js';
import { MemoryResponseCache } from './responseCacheStore.js';
import { createSharedStateMetrics } from './sharedStateMetrics.js';
import { redisFailureReporter } from './redisFailures.js';
import { TEST_REDIS_URL, deleteKeysUnder, randomKeyPrefix, startTcpProxy } from './redisTesting.js';

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
