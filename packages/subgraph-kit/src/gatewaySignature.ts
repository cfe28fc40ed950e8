import type { IncomingMessage } from 'node:http';
import {
  ANONYMOUS_CLAIMS,
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  HttpError,
  sendError,
  verifyGatewaySignature,
  type RequestHandler,
  type VerifiedClaims,
} from '@cip/core';

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Lets through only requests the gateway signed (defence in depth: an office refuses to be called
 * around the gateway's rules). `null` lets everything through.
 */
export function requireGatewaySignature(secret: string | null, handler: RequestHandler): RequestHandler {
  if (secret === null) return handler;
  return (req, res) => {
    const claims = headerOf(req, GATEWAY_CLAIMS_HEADER) ?? '';
    if (!verifyGatewaySignature(secret, headerOf(req, GATEWAY_SIGNATURE_HEADER), claims)) {
      res.setHeader('www-authenticate', 'GatewaySignature');
      return sendError(
        res,
        new HttpError(
          'UNAUTHENTICATED',
          'This subgraph answers only requests signed by the gateway; query the gateway.',
        ),
      );
    }
    return handler(req, res);
  };
}

/**
 * The caller's claims as the gateway verified them, from a resolver's context (the subgraph
 * server adds them as `caller`); anonymous when absent, e.g. in in-process tests.
 */
export function callerOf(context: object): VerifiedClaims {
  return (context as { caller?: VerifiedClaims }).caller ?? ANONYMOUS_CLAIMS;
}
