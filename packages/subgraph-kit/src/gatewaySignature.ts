import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ANONYMOUS_CLAIMS,
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  HttpError,
  decodeClaims,
  type ReceivedRequest,
  type SignatureCheck,
  type VerifiedClaims,
} from '@cip/core';

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** An office's check of one request (core's `createSignatureVerifier`). */
export type SignatureVerifier = (request: ReceivedRequest) => Promise<SignatureCheck>;

export interface GatewaySignatureCheck {
  /**
   * Refuses (401 with a code) a request the gateway did not sign for this office, path, claims and
   * exact body, or signed too long ago, or already seen; run on the raw body, before it is parsed.
   * Undefined: every request is let through (an office alone in development).
   */
  authenticate: ((req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>) | undefined;
  /** The caller's claims as the check verified them (anonymous when none). */
  callerOf(req: IncomingMessage): VerifiedClaims;
}

/**
 * Lets through only requests the gateway signed for this office (defence in depth: an office
 * refuses to be called around the gateway's rules, or with a request meant for another office or
 * captured on the way). `null` lets everything through and trusts the claims header as it is.
 */
export function gatewaySignatureCheck(verify: SignatureVerifier | null): GatewaySignatureCheck {
  if (verify === null) {
    return { authenticate: undefined, callerOf: (req) => decodeClaims(headerOf(req, GATEWAY_CLAIMS_HEADER)) };
  }
  const verified = new WeakMap<IncomingMessage, VerifiedClaims>();
  return {
    async authenticate(req, body, res) {
      let check: SignatureCheck;
      try {
        check = await verify({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          signature: headerOf(req, GATEWAY_SIGNATURE_HEADER),
          claims: headerOf(req, GATEWAY_CLAIMS_HEADER),
          body,
        });
      } catch {
        // The replay store (Redis) is unreachable: refusing is the only safe answer.
        throw new HttpError(
          'SIGNATURE_CHECK_UNAVAILABLE',
          'This subgraph cannot check signed requests right now; try again.',
        );
      }
      if (!check.ok) {
        res.setHeader('www-authenticate', 'GatewaySignature');
        // The code only: nothing that would tell a sender how close it came.
        throw new HttpError(
          check.code,
          'This subgraph answers only requests the gateway signed for it, once; query the gateway.',
        );
      }
      verified.set(req, check.claims);
    },
    callerOf: (req) => verified.get(req) ?? ANONYMOUS_CLAIMS,
  };
}

/**
 * The caller's claims as the gateway verified them, from a resolver's context (the subgraph
 * server adds them as `caller`); anonymous when absent, e.g. in in-process tests.
 */
export function callerOf(context: object): VerifiedClaims {
  return (context as { caller?: VerifiedClaims }).caller ?? ANONYMOUS_CLAIMS;
}
