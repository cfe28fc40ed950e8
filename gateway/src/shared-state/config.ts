import { defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';

export interface RedisSettings {
  readonly url: string;
  /** Prepended to every key the gateway writes, so several deployments can share one Redis. */
  readonly keyPrefix: string;
  /** A Redis command slower than this counts as failed (a miss); the request goes on without it. */
  readonly commandTimeoutMs: number;
  /** How long an APQ registration lives in Redis after it was last registered. */
  readonly apqTtlSeconds: number;
}

/** What replicas share (docs/operating.md): in Redis when it is configured, else each replica its own in memory. */
export interface SharedStateSettings {
  readonly redis: RedisSettings | undefined;
  /** Whole query answers cached, tagged by the entities they show; undefined: the cache is off. */
  readonly responseCache: { readonly ttlSeconds: number } | undefined;
}

export const sharedStateSection = defineSection({
  shape: {
    REDIS_URL: envVar.redisUrl({
      description: 'e.g. redis://redis:6379/0: APQ registrations and the response cache shared by every replica',
      shownDefault: 'unset: each replica keeps its own in memory',
    }),
    REDIS_KEY_PREFIX: z.string().min(1).default('cip:gateway:').register(envDocs, {
      description: 'prepended to every key the gateway writes, so several deployments can share one Redis',
    }),
    REDIS_COMMAND_TIMEOUT_MS: envVar.positiveInt(500).register(envDocs, {
      description: 'a Redis command slower than this counts as failed (a miss); the request goes on without it',
    }),
    REDIS_APQ_TTL_SECONDS: envVar.positiveInt(86_400).register(envDocs, {
      description: 'how long an APQ registration lives in Redis after it was last registered',
    }),
    RESPONSE_CACHE: z.enum(['off', 'on']).default('off').register(envDocs, {
      description: '`on` caches whole query answers, tagged by the entities they show (in Redis with REDIS_URL)',
    }),
    RESPONSE_CACHE_TTL_SECONDS: envVar.positiveInt(60).register(envDocs, {
      description: 'how long a cached answer is kept',
    }),
  },
  rules: (rule) => [
    rule.onlyWith(
      ['REDIS_KEY_PREFIX', 'REDIS_COMMAND_TIMEOUT_MS', 'REDIS_APQ_TTL_SECONDS'],
      ['REDIS_URL'],
      'without Redis each replica keeps its state in memory',
    ),
    rule.onlyWhen(['RESPONSE_CACHE_TTL_SECONDS'], 'RESPONSE_CACHE', ['on'], 'the response cache is off'),
  ],
  build: (values): SharedStateSettings => ({
    redis: values.REDIS_URL
      ? {
          url: values.REDIS_URL,
          keyPrefix: values.REDIS_KEY_PREFIX,
          commandTimeoutMs: values.REDIS_COMMAND_TIMEOUT_MS,
          apqTtlSeconds: values.REDIS_APQ_TTL_SECONDS,
        }
      : undefined,
    responseCache: values.RESPONSE_CACHE === 'on' ? { ttlSeconds: values.RESPONSE_CACHE_TTL_SECONDS } : undefined,
  }),
});
