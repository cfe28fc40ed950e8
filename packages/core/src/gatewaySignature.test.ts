import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_MAX_AGE_MS,
  decodeClaims,
  encodeClaims,
  processSigningSecret,
  signGatewayRequest,
  verifyGatewaySignature,
} from './gatewaySignature.js';

const secret = 'x'.repeat(40);

describe('gateway signature', () => {
  it('verifies what the same secret signed, for the same claims, while it is fresh', () => {
    const claims = encodeClaims({ authenticated: true, subject: 'a', scopes: ['analyst'] });
    const now = Date.now();
    const signature = signGatewayRequest(secret, claims, now);
    expect(verifyGatewaySignature(secret, signature, claims, now)).toBe(true);
    expect(verifyGatewaySignature(secret, signature, claims, now + SIGNATURE_MAX_AGE_MS)).toBe(true);
    expect(verifyGatewaySignature(secret, signature, claims, now + SIGNATURE_MAX_AGE_MS + 1)).toBe(false);
    expect(verifyGatewaySignature('y'.repeat(40), signature, claims, now)).toBe(false);
    expect(
      verifyGatewaySignature(
        secret,
        signature,
        encodeClaims({ authenticated: true, subject: 'a', scopes: ['admin'] }),
        now,
      ),
    ).toBe(false);
    expect(verifyGatewaySignature(secret, undefined, claims, now)).toBe(false);
    expect(verifyGatewaySignature(secret, 't=1,v1=zz', claims, now)).toBe(false);
  });

  it('decodes claims defensively', () => {
    expect(decodeClaims(encodeClaims({ authenticated: true, subject: null, scopes: ['a'] }))).toEqual({
      authenticated: true,
      subject: null,
      scopes: ['a'],
    });
    expect(decodeClaims('%%%')).toEqual({ authenticated: false, subject: null, scopes: [] });
    expect(decodeClaims(undefined).authenticated).toBe(false);
  });

  it('the process secret is made once', () => {
    expect(processSigningSecret()).toBe(processSigningSecret());
    expect(processSigningSecret().length).toBeGreaterThanOrEqual(40);
  });
});
