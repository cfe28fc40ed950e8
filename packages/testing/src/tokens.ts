import {
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  encodeClaims,
  gatewaySigner,
  signedPath,
  type VerifiedClaims,
} from '@cip/core';
import { SignJWT } from 'jose';

/** The HS256 secret, issuer and audience the security tests configure the gateway with. */
export const TEST_AUTH = {
  AUTH_HS256_SECRET: 'test-secret-that-is-long-enough-for-hs256!',
  AUTH_ISSUER: 'https://issuer.cip.invalid',
  AUTH_AUDIENCE: 'cip-graph',
} as const;

export interface TokenOptions {
  scopes?: string[];
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token; null for a token without `exp`. */
  expiresIn?: number | null;
  /** Seconds from now (default -10); positive for an `iat` in the future; null for no `iat`. */
  issuedAt?: number | null;
  /** Seconds from now; unset: no `nbf`. */
  notBefore?: number;
  subject?: string;
}

export async function makeToken(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { expiresIn = 300, issuedAt = -10, notBefore } = options;
  let token = new SignJWT({ scope: (options.scopes ?? []).join(' ') })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(options.subject ?? 'test-user')
    .setIssuer(options.issuer ?? TEST_AUTH.AUTH_ISSUER)
    .setAudience(options.audience ?? TEST_AUTH.AUTH_AUDIENCE);
  if (issuedAt !== null) token = token.setIssuedAt(now + issuedAt);
  if (expiresIn !== null) token = token.setExpirationTime(now + expiresIn);
  if (notBefore !== undefined) token = token.setNotBefore(now + notBefore);
  return token.sign(new TextEncoder().encode(options.secret ?? TEST_AUTH.AUTH_HS256_SECRET));
}

/**
 * The headers a gateway holding `master` sends with `body` to `office` at `url`: the claims and a
 * signature bound to that office, the method (POST unless given), the path and those exact bytes
 * (used once).
 */
export function gatewaySignedHeaders(
  master: string,
  office: string,
  url: string,
  claims: VerifiedClaims,
  body: string,
  method: 'GET' | 'POST' = 'POST',
): Record<string, string> {
  const header = encodeClaims(claims);
  const signature = gatewaySigner(master)({
    audience: office,
    method,
    path: signedPath(url),
    claims: header,
    body,
  });
  return { [GATEWAY_CLAIMS_HEADER]: header, [GATEWAY_SIGNATURE_HEADER]: signature };
}

/** POSTs an operation with an optional bearer token; returns status and parsed body. */
export async function post(
  url: string,
  body: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}
