import { parseConfig, type Env } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { securitySection } from './config.js';

const SECRET = 'an-hs256-secret-that-is-long-enough-for-tests';
const parse = (env: Env) => parseConfig('gateway', { security: securitySection }, env).security;
const problems = (env: Env) => configProblems(() => parse(env));

describe('security config', () => {
  it('defaults: no key source, trusted documents allowed by hash, the documented limits', () => {
    const security = parse({});
    expect(security.auth).toMatchObject({
      keys: { source: 'none' },
      clockSkewSeconds: 30,
      requireExp: true,
      maxTokenLifetimeSeconds: 86_400,
      analystScope: 'analyst',
    });
    expect(security.trustedDocuments).toMatchObject({
      mode: 'allow',
      path: expect.stringMatching(/trusted-documents\.json$/),
    });
    expect(security.limits).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxRootFields: 20,
      maxDirectives: 30,
      maxTokens: 5_000,
      maxCost: 1_000_000,
      maxBatch: 10,
      assumedListSize: 10,
    });
    expect(security.signingSecret).toBeUndefined();
  });

  it.each([
    [{ AUTH_JWKS_FILE: 'jwks.json' }, { source: 'jwks-file', path: 'jwks.json' }],
    [
      { AUTH_JWKS_URL: 'https://issuer.invalid/jwks.json' },
      { source: 'jwks-url', url: 'https://issuer.invalid/jwks.json' },
    ],
    [{ AUTH_HS256_SECRET: SECRET }, { source: 'hs256', secret: SECRET }],
  ])('takes one key source: %o', (env, keys) => {
    expect(parse(env).auth.keys).toEqual(keys);
  });

  it.each([
    [
      { AUTH_JWKS_FILE: 'jwks.json', AUTH_HS256_SECRET: SECRET },
      'AUTH_HS256_SECRET: cannot be set together with AUTH_JWKS_FILE',
    ],
    [
      { AUTH_JWKS_FILE: 'jwks.json', AUTH_JWKS_URL: 'https://i.invalid/jwks' },
      'AUTH_JWKS_URL: cannot be set together with AUTH_JWKS_FILE',
    ],
    [
      { AUTH_JWKS_URL: 'https://i.invalid/jwks', AUTH_HS256_SECRET: SECRET },
      'AUTH_HS256_SECRET: cannot be set together with AUTH_JWKS_URL',
    ],
  ])('refuses two key sources instead of letting one win: %o', (env, problem) => {
    const [only, ...others] = problems(env);
    expect(others).toEqual([]);
    expect(only).toContain(problem);
    expect(only).not.toContain(SECRET);
  });

  it('refuses all three key sources with one problem for each extra one', () => {
    expect(
      problems({ AUTH_JWKS_FILE: 'jwks.json', AUTH_JWKS_URL: 'https://i.invalid/jwks', AUTH_HS256_SECRET: SECRET }),
    ).toEqual([
      expect.stringMatching(/^AUTH_JWKS_URL: cannot be set together with AUTH_JWKS_FILE:/),
      expect.stringMatching(/^AUTH_HS256_SECRET: cannot be set together with AUTH_JWKS_FILE or AUTH_JWKS_URL:/),
    ]);
  });

  it('refuses claim settings that nothing would check without a key source', () => {
    expect(
      problems({
        AUTH_ISSUER: 'https://issuer.invalid',
        AUTH_AUDIENCE: 'cip',
        AUTH_CLOCK_SKEW_SECONDS: '10',
        AUTH_REQUIRE_EXP: 'false',
        AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600',
        AUTH_SCOPES_CLAIM: 'scp',
        AUTH_ANALYST_SCOPE: 'analysts',
      }),
    ).toEqual(
      [
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'AUTH_CLOCK_SKEW_SECONDS',
        'AUTH_REQUIRE_EXP',
        'AUTH_MAX_TOKEN_LIFETIME_SECONDS',
        'AUTH_SCOPES_CLAIM',
        'AUTH_ANALYST_SCOPE',
      ].map(
        (name) =>
          `${name}: has no effect without AUTH_JWKS_FILE, AUTH_JWKS_URL or AUTH_HS256_SECRET: no token is verified without a key source, so no claim is checked`,
      ),
    );
    expect(parse({ AUTH_HS256_SECRET: SECRET, AUTH_ISSUER: 'https://issuer.invalid' }).auth.issuer).toBe(
      'https://issuer.invalid',
    );
  });

  it('reads the token lifetime rules: exp optional only when asked, a positive maximum lifetime', () => {
    expect(
      parse({ AUTH_HS256_SECRET: SECRET, AUTH_REQUIRE_EXP: 'false', AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' }).auth,
    ).toMatchObject({ requireExp: false, maxTokenLifetimeSeconds: 3_600 });
    expect(
      problems({ AUTH_HS256_SECRET: SECRET, AUTH_REQUIRE_EXP: 'no', AUTH_MAX_TOKEN_LIFETIME_SECONDS: '0' }),
    ).toEqual([
      'AUTH_REQUIRE_EXP="no": expected true, false, 1 or 0',
      expect.stringMatching(/^AUTH_MAX_TOKEN_LIFETIME_SECONDS="0": /),
    ]);
  });

  it('refuses a trusted-document manifest that TRUSTED_DOCUMENTS=off would not read', () => {
    expect(problems({ TRUSTED_DOCUMENTS: 'off', TRUSTED_DOCUMENTS_PATH: 'other.json' })).toEqual([
      'TRUSTED_DOCUMENTS_PATH: has no effect with TRUSTED_DOCUMENTS=off: with trusted documents off no manifest is read',
    ]);
    expect(parse({ TRUSTED_DOCUMENTS: 'off' }).trustedDocuments).toEqual({ mode: 'off' });
    expect(parse({ TRUSTED_DOCUMENTS: 'enforce', TRUSTED_DOCUMENTS_PATH: 'other.json' }).trustedDocuments).toEqual({
      mode: 'enforce',
      path: 'other.json',
    });
  });

  it('names a bad secret without its value', () => {
    const found = problems({ AUTH_HS256_SECRET: 'too-short-hs256', GATEWAY_SIGNING_SECRET: 'too-short-signing' });
    expect(found).toEqual([
      'AUTH_HS256_SECRET: expected at least 32 characters',
      'GATEWAY_SIGNING_SECRET: expected at least 32 characters',
    ]);
    expect(found.join('\n')).not.toMatch(/too-short/);
  });
});
