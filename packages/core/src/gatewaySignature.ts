import { createHash, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The header carrying the signature on each request to an office (the gateway's, or a peer office's). */
export const GATEWAY_SIGNATURE_HEADER = 'x-gateway-signature';
/** The header carrying the caller's verified claims (base64url JSON), covered by the signature. */
export const GATEWAY_CLAIMS_HEADER = 'x-gateway-claims';

/** How long a signed request may be used after it was signed, unless the office says otherwise. */
export const DEFAULT_SIGNATURE_LIFETIME_MS = 30_000;
/** How far the office's clock may be from the signer's, either way, unless the office says otherwise. */
export const DEFAULT_SIGNATURE_CLOCK_SKEW_MS = 5_000;

/** Who signed: the gateway, or (for a peer lookup) the office of this name. */
export const GATEWAY_ISSUER = 'gateway';

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
 * A random master secret made once per process. The embedded stack runs gateway and offices in one
 * process, so both sides derive the same office keys from it without any configuration and
 * `npm start` is signed end to end; separate processes are configured (docs/security.md).
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

const hkdf = (secret: string, info: string) =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32)).toString('base64url');

/**
 * The key of one office, from the gateway's master secret: HKDF-SHA256 with the office's name in
 * `info`, so each office holds a key no other office has and none can compute another's.
 */
export function deriveOfficeKey(master: string, office: string): string {
  return hkdf(master, `cip-office-signing-v2:${office}`);
}

/**
 * The key `caller` signs its peer lookups to `office` with: derived from `office`'s own key, so the
 * office can compute it and nobody without the master or that office's key can. An office that
 * holds it can only ever speak to `office` as `subgraph:<caller>`, with no scopes.
 */
export function derivePeerKey(officeKey: string, caller: string): string {
  return hkdf(officeKey, `cip-peer-signing-v2:${caller}`);
}

/** A key's public name in the signature (the first 8 bytes of its SHA-256, hex): the office picks the key by it. */
export function signingKeyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** What a signature binds: who it is for, the HTTP exchange, the claims and the exact body bytes. */
export interface SignedRequest {
  /** The office the request is for (its name in the composition). */
  audience: string;
  method: string;
  /** Path and query string, as the office sees it in the request line (`/graphql`). */
  path: string;
  /** The claims header exactly as sent. */
  claims: string;
  /** The body exactly as sent (a string is sent as its UTF-8 bytes). */
  body: string | Uint8Array;
}

/** The path a signature covers for a request to `url`: path and query string, as the office's request line has them. */
export function signedPath(url: string): string {
  const { pathname, search } = new URL(url);
  return `${pathname}${search}`;
}

export interface SigningKey {
  readonly key: string;
  readonly id: string;
}

export function signingKey(key: string): SigningKey {
  return { key, id: signingKeyId(key) };
}

function mac(key: string, issuer: string, request: SignedRequest, timestamp: string, id: string): Buffer {
  // Fields are newline-separated; none can hold a newline (names, a path, base64url, digits, a uuid).
  return createHmac('sha256', key)
    .update(
      `cip-signature-v2\n${issuer}\n${request.audience}\n${request.method.toUpperCase()}\n${request.path}\n${timestamp}\n${id}\n${request.claims}\n`,
    )
    .update(request.body)
    .digest();
}

/**
 * `v2,kid=<key id>,iss=<gateway|office>,t=<ms>,id=<uuid>,sig=<base64url HMAC-SHA256>`, over the
 * audience, method, path, time, id, claims and body. Each signature is for one request: the office
 * refuses its id a second time.
 */
export function signRequest(
  key: SigningKey,
  issuer: string,
  request: SignedRequest,
  now = Date.now(),
  id: string = randomUUID(),
): string {
  const timestamp = String(now);
  const signature = mac(key.key, issuer, request, timestamp, id).toString('base64url');
  return `v2,kid=${key.id},iss=${issuer},t=${timestamp},id=${id},sig=${signature}`;
}

/** The gateway's signer: derives each office's key from the master once, then signs with it. */
export function gatewaySigner(master: string): (request: SignedRequest) => string {
  const keys = new Map<string, SigningKey>();
  return (request) => {
    let key = keys.get(request.audience);
    if (!key) {
      key = signingKey(deriveOfficeKey(master, request.audience));
      keys.set(request.audience, key);
    }
    return signRequest(key, GATEWAY_ISSUER, request);
  };
}

/** What one office holds: its own key(s) (two during a rotation, the one to sign with first), and its peer keys. */
export interface OfficeKeys {
  readonly keys: readonly string[];
  /** The key this office signs its lookups to `peer` with; undefined: it has none for that office. */
  peerKey(peer: string): string | undefined;
}

/** An office's keys as the holder of the master computes them (the embedded stack, and `npm run signing:key`). */
export function officeKeysFromMaster(master: string, office: string): OfficeKeys {
  return {
    keys: [deriveOfficeKey(master, office)],
    peerKey: (peer) => derivePeerKey(deriveOfficeKey(master, peer), office),
  };
}

/** Why a request was refused, as the registry's code (errors.ts); no more detail is given to the sender. */
export type SignatureRefusal = 'UNAUTHENTICATED' | 'SIGNATURE_INVALID' | 'SIGNATURE_EXPIRED' | 'SIGNATURE_REPLAYED';

export type SignatureCheck =
  | { readonly ok: true; readonly claims: VerifiedClaims; readonly issuer: string }
  | { readonly ok: false; readonly code: SignatureRefusal };

/** The ids of accepted requests, each kept while its signature could still be accepted. */
export interface ReplayStore {
  /** True the first time `id` is seen within `ttlMs`, false after. May throw when the store is unreachable. */
  firstUse(id: string, ttlMs: number): Promise<boolean>;
}

/**
 * Ids in this process's memory. Every entry gets the same lifetime, so they expire in the order
 * they were added: each insert first drops the expired ones from the front (bounded by the request
 * rate times the lifetime).
 */
export function memoryReplayStore(now: () => number = Date.now): ReplayStore & { readonly size: number } {
  const expiries = new Map<string, number>();
  return {
    get size() {
      return expiries.size;
    },
    async firstUse(id, ttlMs) {
      const time = now();
      for (const [seen, expiry] of expiries) {
        if (expiry > time) break;
        expiries.delete(seen);
      }
      if (expiries.has(id)) return false;
      expiries.set(id, time + ttlMs);
      return true;
    },
  };
}

export interface SignatureVerifierOptions {
  /** This office's name: requests signed for another office are refused. */
  office: string;
  /** This office's key(s): two during a rotation. */
  keys: readonly string[];
  lifetimeMs?: number;
  clockSkewMs?: number;
  replays: ReplayStore;
  now?: () => number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  signature: string | undefined;
  claims: string | undefined;
  /** The raw body bytes as received, before anything parses them. */
  body: Uint8Array;
}

const SIGNATURE_PATTERN =
  /^v2,kid=([0-9a-f]{16}),iss=([a-z][a-z0-9-]{0,62}),t=(\d{1,16}),id=([0-9a-f-]{36}),sig=([A-Za-z0-9_-]{43})$/;

/**
 * An office's check of each request: signed with one of its keys (or a peer key derived from one),
 * for this office, method, path, claims and body, within its lifetime (plus the clock skew either
 * way), and not seen before. A peer's request carries the peer's name as its only claim.
 */
export function createSignatureVerifier(
  options: SignatureVerifierOptions,
): (request: ReceivedRequest) => Promise<SignatureCheck> {
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_SIGNATURE_LIFETIME_MS;
  const skewMs = options.clockSkewMs ?? DEFAULT_SIGNATURE_CLOCK_SKEW_MS;
  const now = options.now ?? Date.now;
  const ownKeys = new Map(options.keys.map((key) => [signingKeyId(key), key]));
  // Per issuer: key id → key. Peer keys are derived on first use (an issuer is a validated name).
  const keysByIssuer = new Map<string, Map<string, string>>([[GATEWAY_ISSUER, ownKeys]]);
  const keysOf = (issuer: string) => {
    let keys = keysByIssuer.get(issuer);
    if (!keys) {
      keys = new Map(options.keys.map((key) => derivePeerKey(key, issuer)).map((key) => [signingKeyId(key), key]));
      keysByIssuer.set(issuer, keys);
    }
    return keys;
  };
  return async (request) => {
    if (!request.signature) return { ok: false, code: 'UNAUTHENTICATED' };
    const match = SIGNATURE_PATTERN.exec(request.signature);
    if (!match) return { ok: false, code: 'SIGNATURE_INVALID' };
    const [, keyId, issuer, timestamp, id, signature] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // An office never takes a request from itself: its peer key toward itself would be its own secret's child.
    if (issuer === options.office) return { ok: false, code: 'SIGNATURE_INVALID' };
    const key = keysOf(issuer).get(keyId);
    if (!key) return { ok: false, code: 'SIGNATURE_INVALID' };
    const claims = request.claims ?? '';
    const expected = mac(key, issuer, { ...request, audience: options.office, claims }, timestamp, id);
    if (!timingSafeEqual(expected, Buffer.from(signature, 'base64url')))
      return { ok: false, code: 'SIGNATURE_INVALID' };
    const signedAt = Number(timestamp);
    const time = now();
    if (time < signedAt - skewMs || time > signedAt + lifetimeMs + skewMs)
      return { ok: false, code: 'SIGNATURE_EXPIRED' };
    // Remembered for as long as the same signature could pass the time check above.
    if (!(await options.replays.firstUse(id, signedAt + lifetimeMs + skewMs - time + 1)))
      return { ok: false, code: 'SIGNATURE_REPLAYED' };
    const verified =
      issuer === GATEWAY_ISSUER
        ? decodeClaims(claims)
        : { ...ANONYMOUS_CLAIMS, authenticated: true, subject: `subgraph:${issuer}` };
    return { ok: true, claims: verified, issuer };
  };
}
