import { parseConfig, type Env } from '@cip/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { securitySection } from './config.js';
import { buildSecurity } from './index.js';

const SECRET = 'an-hs256-secret-that-is-long-enough-for-tests';

async function startUpWarnings(env: Env): Promise<string[]> {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const config = parseConfig('gateway', { security: securitySection }, env).security;
  await buildSecurity(config, 'development', logger);
  return lines.filter((line) => line.level === 40).map((line) => line.msg);
}

describe('security at start-up', () => {
  it('warns when tokens without exp are accepted (AUTH_REQUIRE_EXP=false), and only then', async () => {
    expect(await startUpWarnings({ AUTH_HS256_SECRET: SECRET, AUTH_REQUIRE_EXP: 'false' })).toEqual([
      'AUTH_REQUIRE_EXP=false: tokens without `exp` are accepted, and never expire.',
    ]);
    expect(await startUpWarnings({ AUTH_HS256_SECRET: SECRET })).toEqual([]);
  });
});
