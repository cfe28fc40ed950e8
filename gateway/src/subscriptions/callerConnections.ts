import type { Caller } from '../security/jwt.js';

/** Whose connections count together: a signed-in caller by its token's subject, anyone else by address. */
export function callerKey(caller: Caller, remoteAddress: string | undefined): string {
  return caller.authenticated && caller.subject !== null
    ? `subject:${caller.subject}`
    : `address:${remoteAddress ?? 'unknown'}`;
}

/** The streaming connections (WebSocket connections and SSE streams) each caller holds, up to `max`. */
export class CallerConnections {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes a place for `key`; returns what gives it back, or undefined when `key` holds `max` already. */
  take(key: string): (() => void) | undefined {
    const count = this.held.get(key) ?? 0;
    if (count >= this.max) return undefined;
    this.held.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left > 0) this.held.set(key, left);
      else this.held.delete(key);
    };
  }
}

/** Calls `onExpiry` when `expiresAt` (epoch ms) passes, even beyond setTimeout's ~24.8-day range; returns what cancels it. */
export function atExpiry(expiresAt: number | undefined, onExpiry: () => void): () => void {
  if (expiresAt === undefined) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = expiresAt - Date.now();
    if (left <= 0) return onExpiry();
    timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}
