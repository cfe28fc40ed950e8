import { HeaderMap } from '@apollo/server';
import { refusal, type Logger } from '@cip/core';
import type { IncomingMessage } from 'node:http';
import type { ContextBuilder } from '../context.js';
import { ANONYMOUS, OPEN_CALLER, TokenRejected, type Caller, type TokenVerifier } from './jwt.js';

export type AuthMode = 'open' | 'jwt' | 'closed';

/**
 * Which rules apply: `jwt` when a key is configured; without one, `open` outside production (every
 * field visible, for local use) and `closed` in production (every caller anonymous, restricted
 * fields hidden), so a forgotten setting never opens production.
 */
export function authMode(verifier: TokenVerifier | undefined, mode: 'development' | 'production' | 'test'): AuthMode {
  if (verifier) return 'jwt';
  return mode === 'production' ? 'closed' : 'open';
}

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/;

function unauthenticated(message: string) {
  return refusal('UNAUTHENTICATED', message, {
    headers: new HeaderMap([['www-authenticate', 'Bearer error="invalid_token"']]),
  });
}

/** Resolves the caller of each request, or refuses it with 401 `UNAUTHENTICATED` before anything runs. */
export async function resolveCaller(
  req: IncomingMessage,
  mode: AuthMode,
  verifier: TokenVerifier | undefined,
  logger: Logger,
): Promise<Caller> {
  return callerOf(req.headers.authorization, mode, verifier, logger);
}

/**
 * The caller an `Authorization` value names (a header, or a WebSocket's `connection_init` payload),
 * or the refusal with 401 `UNAUTHENTICATED`.
 */
export async function callerOf(
  header: string | undefined,
  mode: AuthMode,
  verifier: TokenVerifier | undefined,
  logger: Logger,
): Promise<Caller> {
  if (mode === 'open') return OPEN_CALLER;
  if (header === undefined || header === '') return ANONYMOUS;
  const token = BEARER.exec(header)?.[1];
  if (!token || !verifier) {
    logger.info({ reason: token ? 'no key configured' : 'not a bearer token' }, 'token refused');
    throw unauthenticated('The Authorization header is not a valid bearer token.');
  }
  try {
    return await verifier(token);
  } catch (error) {
    if (!(error instanceof TokenRejected)) throw error;
    logger.info({ reason: error.message }, 'token refused');
    throw unauthenticated('The bearer token is invalid or expired; sign in again.');
  }
}

export function authenticationContext(
  mode: AuthMode,
  verifier: TokenVerifier | undefined,
  logger: Logger,
): ContextBuilder {
  return async (req, context) => {
    context.caller = await resolveCaller(req, mode, verifier, logger);
  };
}
