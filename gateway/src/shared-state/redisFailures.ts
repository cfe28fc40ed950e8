import type { Logger } from '@cip/core';
import type { Counter } from 'prom-client';

export type RedisFailureReporter = (operation: string, error: unknown) => void;

/**
 * Counts every failed Redis command of the shared state and logs it, as a warning at most once per
 * `warnEveryMs` (a slow or absent Redis fails every request's command; the log should say so, not
 * drown in it), at debug level otherwise.
 */
export function redisFailureReporter(
  errors: Counter<'operation'>,
  logger: Logger,
  warnEveryMs = 10_000,
): RedisFailureReporter {
  let lastWarning = Number.NEGATIVE_INFINITY;
  return (operation, error) => {
    errors.inc({ operation });
    const now = Date.now();
    if (now - lastWarning >= warnEveryMs) {
      lastWarning = now;
      logger.warn({ err: error, operation }, 'Redis command failed: shared state bypassed (treated as a miss)');
    } else logger.debug({ err: error, operation }, 'Redis command failed: shared state bypassed');
  };
}
