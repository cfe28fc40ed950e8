import { readFile } from 'node:fs/promises';
import { parseConfig, type Env } from '@cip/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { securitySection } from './config.js';
import { buildSecurity } from './index.js';
import { TRUSTED_DOCUMENTS_FILE } from './trustedDocumentsFile.js';

const SECRET = 'an-hs256-secret-that-is-long-enough-for-tests';

async function build(env: Env) {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const config = parseConfig('gateway', { security: securitySection }, env).security;
  const security = await buildSecurity(config, 'development', logger);
  return { security, warnings: lines.filter((line) => line.level === 40).map((line) => line.msg) };
}

const startUpWarnings = async (env: Env) => (await build(env)).warnings;

describe('security at start-up', () => {
  it('warns when tokens without exp are accepted (AUTH_REQUIRE_EXP=false), and only then', async () => {
    expect(await startUpWarnings({ AUTH_HS256_SECRET: SECRET, AUTH_REQUIRE_EXP: 'false' })).toEqual([
      'AUTH_REQUIRE_EXP=false: tokens without `exp` are accepted, and never expire.',
    ]);
    expect(await startUpWarnings({ AUTH_HS256_SECRET: SECRET })).toEqual([]);
  });

  it("names the trusted documents' operations, the only operation labels of the metrics", async () => {
    const { security } = await build({ AUTH_HS256_SECRET: SECRET });
    const manifest = JSON.parse(await readFile(TRUSTED_DOCUMENTS_FILE, 'utf8')) as { operations: { name: string }[] };
    expect(security.trustedOperationNames).toEqual(new Set(manifest.operations.map(({ name }) => name)));
    expect(security.trustedOperationNames).toContain('PartnerProfile');
    expect(
      (await build({ AUTH_HS256_SECRET: SECRET, TRUSTED_DOCUMENTS: 'off' })).security.trustedOperationNames,
    ).toEqual(new Set());
  });
});
