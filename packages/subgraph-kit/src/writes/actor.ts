import { callerOf } from '../gatewaySignature.js';

/**
 * Who the audit log names for a write: the subject of the token the gateway verified and signed
 * (never a client-supplied header); `anonymous` when the gateway let an unsigned-in caller write
 * (an open development gateway) or in in-process tests.
 */
export function actorOf(context: object): string {
  return callerOf(context).subject ?? 'anonymous';
}
