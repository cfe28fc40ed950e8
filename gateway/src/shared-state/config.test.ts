import { parseConfig, type Env } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { sharedStateSection } from './config.js';

const parse = (env: Env) => parseConfig('gateway', { sharedState: sharedStateSection }, env).sharedState;
const problems = (env: Env) => configProblems(() => parse(env));

describe('shared-state config', () => {
  it('keeps everything in memory without REDIS_URL, and the response cache off', () => {
    expect(parse({})).toEqual({ redis: undefined, responseCache: undefined });
  });

  it('shares APQ registrations and the response cache through Redis when asked', () => {
    expect(parse({ REDIS_URL: 'redis://redis:6379/0', REDIS_KEY_PREFIX: 'a:', RESPONSE_CACHE: 'on' })).toEqual({
      redis: { url: 'redis://redis:6379/0', keyPrefix: 'a:', commandTimeoutMs: 500, apqTtlSeconds: 86_400 },
      responseCache: { ttlSeconds: 60 },
    });
  });

  it('refuses Redis settings without Redis, and a cache lifetime with the cache off', () => {
    expect(
      problems({
        REDIS_KEY_PREFIX: 'a:',
        REDIS_COMMAND_TIMEOUT_MS: '100',
        REDIS_APQ_TTL_SECONDS: '60',
        RESPONSE_CACHE_TTL_SECONDS: '5',
      }),
    ).toEqual([
      'REDIS_KEY_PREFIX: has no effect without REDIS_URL: without Redis each replica keeps its state in memory',
      'REDIS_COMMAND_TIMEOUT_MS: has no effect without REDIS_URL: without Redis each replica keeps its state in memory',
      'REDIS_APQ_TTL_SECONDS: has no effect without REDIS_URL: without Redis each replica keeps its state in memory',
      'RESPONSE_CACHE_TTL_SECONDS: has no effect with RESPONSE_CACHE=off: the response cache is off',
    ]);
  });

  it('names a bad REDIS_URL without its value, which may hold a password', () => {
    expect(problems({ REDIS_URL: 'http://:s3cret-pass@redis:6379' })).toEqual([
      'REDIS_URL: expected redis://host:port or rediss://host:port',
    ]);
  });
});
