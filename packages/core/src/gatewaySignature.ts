import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header carrying the gateway's signature on each subgraph request. */
export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
/** The header carrying the caller's verified claims (base64url JSON), covered by the signature. */
export const GATEWAY_CLAIMS_HEADER = 'x-gateway-claims';

/** How old a signature may be before a subgraph refuses it (allows for clock drift between hosts). */
export const SIGNATURE_MAX_AGE_MS = 5 * 60_000;

/** The caller as the gateway verified it, as a subgraph receives it. */
export interface VerifiedClaims {
  authenticated: boolean;
  subject: string | null;
  scopes: string[];
  /**
   * The gateway runs open (no token key configured, outside production): every caller may see
   * every field. Signed only then; an office honours it only outside production (fieldEnforcement.ts).
   */
  unrestricted?: true;
}

export const ANONYMOUS_CLAIMS: VerifiedClaims = { authenticated: false, subject: null, scopes: [] };

let processSecret: string | undefined;

/**
 * A random secret made once per process. The embedded stack runs gateway and subgraphs in one
 * process, so both sides get it without any configuration and `npm start` is signed end to end;
 * separate processes must share `GATEWAY_SIGNING_SECRET`.
 */
export function processSigningSecret(): string {
  processSecret ??= randomBytes(32).toString('base64url');
  return processSecret;
}

export function encodeClaims(claims: VerifiedClaims): string {
  return Buffer.from(JSON.stringify(claims)).toString('base64url');
}

export function decodeClaims(header: string | undefined): VerifiedClaims {
  if (!header) return ANONYMOUS_CLAIMS;
  try {
    const value = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Partial<VerifiedClaims>;
    return {
      authenticated: value.authenticated === true,
      subject: typeof value.subject === 'string' ? value.subject : null,
      scopes: Array.isArray(value.scopes) ? value.scopes.filter((scope) => typeof scope === 'string') : [],
      ...(value.unrestricted === true ? { unrestricted: true as const } : {}),
    };
  } catch {
    return ANONYMOUS_CLAIMS;
  }
}

function mac(secret: string, timestamp: string, claimsHeader: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${claimsHeader}`).digest();
}

/**
 * `t=<ms>,v1=<hex HMAC-SHA256 of "t.claims">`: proves the request comes from a gateway holding
 * the secret and that the claims header is the one it sent. It does not cover the body: a captured
 * request could be replayed within SIGNATURE_MAX_AGE_MS, which TLS between gateway and subgraphs
 * prevents.
 */
export function signGatewayRequest(secret: string, claimsHeader: string, now = Date.now()): string {
  const timestamp = String(now);
  return `t=${timestamp},v1=${mac(secret, timestamp, claimsHeader).toString('hex')}`;
}

export function verifyGatewaySignature(
  secret: string,
  signatureHeader: string | undefined,
  claimsHeader: string,
  now = Date.now(),
): boolean {
  const match = signatureHeader && /^t=(\d{1,16}),v1=([0-9a-f]{64})$/.exec(signatureHeader);
  if (!match) return false;
  const [, timestamp, signature] = match as unknown as [string, string, string];
  if (Math.abs(now - Number(timestamp)) > SIGNATURE_MAX_AGE_MS) return false;
  return timingSafeEqual(mac(secret, timestamp, claimsHeader), Buffer.from(signature, 'hex'));
}
