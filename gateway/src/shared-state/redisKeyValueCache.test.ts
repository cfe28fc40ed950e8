import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { closeRedisConnection, openRedisConnection } from './redisConnection.js';
import { RedisKeyValueCache } from './redisKeyValueCache.js';
import { createSharedStateMetrics } from './sharedStateMetrics.js';
import { redisFailureReporter } from './redisFailures.js';
import { TEST_REDIS_URL, deleteKeysUnder, keysUnder, randomKeyPrefix, startTcpProxy } from '@cip/testing/redis';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cacheOn(url: string) {
  const prefix = randomKeyPrefix();
  const registry = new Registry();
  const metrics = createSharedStateMetrics(registry);
  const redis = await openRedisConnection({
    url,
    keyPrefix: prefix,
    commandTimeoutMs: 500,
    connectTimeoutMs: 2_000,
    logger,
  });
  cleanups.push(
    () => deleteKeysUnder(prefix),
    () => closeRedisConnection(redis),
  );
  const errorCount = async () => (await metrics.errors.get()).values.reduce((sum, { value }) => sum + value, 0);
  return {
    cache: new RedisKeyValueCache(redis, redisFailureReporter(metrics.errors, logger)),
    prefix,
    redis,
    errorCount,
  };
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met within 5 s');
}

describe('RedisKeyValueCache', () => {
  it('gets what was set, under its key prefix, and deletes it', async () => {
    const { cache, prefix } = await cacheOn(TEST_REDIS_URL);
    expect(await cache.get('apq:abc')).toBeUndefined();
    await cache.set('apq:abc', '{ partners { nodes { id } } }');
    expect(await cache.get('apq:abc')).toBe('{ partners { nodes { id } } }');
    expect(await keysUnder(prefix)).toEqual([`${prefix}apq:abc`]);
    expect(await cache.delete('apq:abc')).toBe(true);
    expect(await cache.get('apq:abc')).toBeUndefined();
  });

  it('sets a ttl in seconds when given one, and none otherwise', async () => {
    const { cache, redis } = await cacheOn(TEST_REDIS_URL);
    await cache.set('with-ttl', 'x', { ttl: 60 });
    await cache.set('no-ttl', 'y', { ttl: null });
    const ttl = await redis.ttl('with-ttl');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await redis.ttl('no-ttl')).toBe(-1);
  });

  it('behaves as a miss / no-op while Redis is unreachable, counts the errors, and recovers when it returns', async () => {
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const { cache, redis, errorCount } = await cacheOn(proxy.url);
    await cache.set('kept', 'before the outage');

    await proxy.cut();
    expect(await cache.get('kept')).toBeUndefined();
    await expect(cache.set('lost', 'during the outage')).resolves.toBeUndefined();
    expect(await cache.delete('kept')).toBe(false);
    expect(await errorCount()).toBeGreaterThanOrEqual(3);

    await proxy.restore();
    await eventually(async () => redis.status === 'ready');
    expect(await cache.get('kept')).toBe('before the outage');
    expect(await cache.get('lost')).toBeUndefined();
    await cache.set('after', 'the outage');
    expect(await cache.get('after')).toBe('the outage');
  });

  it('gives up on a command Redis does not answer within the command timeout (a miss), and carries on after', async () => {
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    const { cache, errorCount } = await cacheOn(proxy.url);
    await cache.set('kept', 'value');
    proxy.stall();
    expect(await cache.get('kept')).toBeUndefined();
    expect(await errorCount()).toBe(1);
    await proxy.restore();
    await eventually(async () => (await cache.get('kept')) === 'value');
  });

  it('starts even when Redis is unreachable at start-up, and connects once it is there', async () => {
    const proxy = await startTcpProxy();
    cleanups.push(() => proxy.close());
    await proxy.cut();
    const { cache, redis } = await cacheOn(proxy.url);
    expect(await cache.get('anything')).toBeUndefined();
    await proxy.restore();
    await eventually(async () => redis.status === 'ready');
    await cache.set('late', 'ok');
    expect(await cache.get('late')).toBe('ok');
  });
});
