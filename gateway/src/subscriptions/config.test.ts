import { ConfigError } from '@cip/core';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';

describe('subscriptions config', () => {
  it('defaults serve subscriptions with documented limits', () => {
    expect(parseGatewayConfig({}).subscriptions).toEqual({
      enabled: true,
      maxPerConnection: 25,
      maxConnectionsPerCaller: 20,
      maxBufferedEvents: 100,
      resubscribeBaseMs: 250,
      resubscribeMaxMs: 10_000,
      resubscribeAttempts: 30,
      connectionInitTimeoutMs: 3_000,
    });
    expect(parseGatewayConfig({ SUBSCRIPTIONS: 'off' }).subscriptions.enabled).toBe(false);
  });

  it('refuses a first backoff above the longest, and limits that are not positive', () => {
    const problems = (env: Record<string, string>) => {
      try {
        parseGatewayConfig(env);
        return '';
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.message;
      }
    };
    expect(problems({ SUBSCRIPTION_RESUBSCRIBE_BASE_MS: '5000', SUBSCRIPTION_RESUBSCRIBE_MAX_MS: '100' })).toMatch(
      /SUBSCRIPTION_RESUBSCRIBE_BASE_MS.*is above SUBSCRIPTION_RESUBSCRIBE_MAX_MS/,
    );
    expect(problems({ SUBSCRIPTION_BUFFERED_EVENTS: '0' })).toMatch(/SUBSCRIPTION_BUFFERED_EVENTS/);
  });
});
