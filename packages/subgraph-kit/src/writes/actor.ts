import { callerOf } from '../gatewaySignature.js';

/**
 * Who the audit log names for a write: the subject of the token the gateway verified and signed
 * (never a client-supplied header); `anonymous` when the gateway let an unsigned-in caller write
 * (an open development gateway) or in in-process tests.
 */
export function actorOf(context: object): string {
  return callerOf(context).subject ?? 'anonymous';
}

/**
 * Whose an idempotency key is: the verified subject (`subject:<sub>`), or `anonymous` for every
 * caller without one (the open development gateway, in-process tests). Keys live in each office's
 * own table, so an anonymous key is the office's anonymous callers' key.
 */
export function keyOwnerOf(context: object): string {
  const { subject } = callerOf(context);
  return subject === null ? 'anonymous' : `subject:${subject}`;
}
