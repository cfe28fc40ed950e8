import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';

describe('usage config', () => {
  it('records to the checkout’s usage file by default, every request', () => {
    const usage = parseGatewayConfig({}).usage;
    expect(usage.store).toEqual({ kind: 'file', path: expect.stringMatching(/\.usage\/usage\.json$/) });
    expect(usage).toMatchObject({ sampleRate: 1, flushMs: 10_000, maxDocuments: 5_000, maxPendingCounts: 20_000 });
  });

  it('records to PostgreSQL when USAGE_DATABASE_URL is set, in its own schema', () => {
    const { store } = parseGatewayConfig({
      USAGE_DATABASE_URL: 'postgres://gw@db/usage',
      USAGE_DATABASE_SCHEMA: 'gateway_usage',
    }).usage;
    expect(store).toEqual({ kind: 'postgres', url: 'postgres://gw@db/usage', schema: 'gateway_usage' });
  });

  it('refuses mixes that would be ignored, and a rate outside (0, 1], never printing a URL’s password', () => {
    const problems = configProblems(() =>
      parseGatewayConfig({
        USAGE_DATABASE_URL: 'postgres://gw:hunter2-secret@db/usage',
        USAGE_FILE: '/tmp/usage.json',
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^USAGE_FILE: cannot be set together with USAGE_DATABASE_URL/)]);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(configProblems(() => parseGatewayConfig({ USAGE_SAMPLE_RATE: '0' }))).toEqual([
      expect.stringMatching(/^USAGE_SAMPLE_RATE=.*expected number to be >0/),
    ]);
    expect(configProblems(() => parseGatewayConfig({ USAGE_RECORDING: 'off', USAGE_FLUSH_MS: '5' }))).toEqual([
      expect.stringMatching(/^USAGE_FLUSH_MS: has no effect with USAGE_RECORDING=off/),
    ]);
    expect(parseGatewayConfig({ USAGE_RECORDING: 'off' }).usage.store).toBeUndefined();
  });
});
