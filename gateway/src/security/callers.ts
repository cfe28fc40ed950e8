import type { Caller } from './jwt.js';

/** The scope that lets a caller send ad-hoc documents and introspect in production. */
export function isAnalyst(caller: Caller, analystScope: string): boolean {
  return caller.unrestricted || caller.scopes.has(analystScope);
}
