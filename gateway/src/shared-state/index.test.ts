import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import { buildSharedState, type SharedState } from './index.js';
import { TEST_REDIS_URL, deleteKeysUnder, keysUnder, randomKeyPrefix } from '@cip/testing/redis';

const logger = pino({ level: 'silent' });
let opened: SharedState | undefined;
let prefix = '';
afterEach(async () => {
  await opened?.close();
  opened = undefined;
  if (prefix) await deleteKeysUnder(prefix);
});

describe('buildSharedState', () => {
  it('without REDIS_URL keeps state in memory: Apollo gets no persisted query cache of ours', async () => {
    const config = parseGatewayConfig({ NODE_ENV: 'test' }).sharedState;
    expect(config.redis?.url).toBeUndefined();
    opened = await buildSharedState(config, logger, new Registry());
    expect(opened.store).toBe('memory');
    expect(opened.serverOptions).toEqual({});
    expect(opened.plugins).toEqual([]);
    await expect(opened.invalidateEntities('Partner', ['canada'])).resolves.toBeUndefined();
  });

  it('with RESPONSE_CACHE=on and no REDIS_URL, caches answers in this replica only', async () => {
    opened = await buildSharedState(parseGatewayConfig({ RESPONSE_CACHE: 'on' }).sharedState, logger, new Registry());
    expect(opened.store).toBe('memory');
    expect(opened.plugins).toHaveLength(1);
  });

  it('with REDIS_URL keeps APQ registrations in Redis under REDIS_KEY_PREFIX, with REDIS_APQ_TTL_SECONDS', async () => {
    prefix = randomKeyPrefix();
    const config = parseGatewayConfig({
      NODE_ENV: 'test',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    }).sharedState;
    expect(config.redis?.apqTtlSeconds).toBe(86_400);
    const registry = new Registry();
    opened = await buildSharedState(config, logger, registry);
    expect(opened.store).toBe('redis');
    const persisted = opened.serverOptions.persistedQueries;
    expect(persisted?.ttl).toBe(86_400);
    await persisted?.cache?.set('apq:hash', '{ __typename }');
    expect(await keysUnder(prefix)).toEqual([`${prefix}apq:hash`]);
    expect(await registry.metrics()).toContain('cip_gateway_shared_state_errors_total');
  });

  it('refuses a REDIS_URL that is not a URL, with the variable named', () => {
    expect(() => parseGatewayConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL/);
  });
});
