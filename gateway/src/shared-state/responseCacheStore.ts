/** Carried by every cached answer, so that one invalidation can drop them all. */
export const EVERY_ANSWER_TAG = '*';

/** Where cached answers live, each with the entity tags it was stored under. */
export interface ResponseCacheStore {
  get(key: string): Promise<string | undefined>;
  /**
   * Where the store's invalidations stand now. A request takes a mark before it computes its
   * answer and passes it to `set`: an answer computed while a write it shows was being invalidated
   * may be from before that write, and is not stored.
   */
  mark(): number;
  /** Stores the answer, unless one of its tags was invalidated after `since` (default: now, no check). */
  set(key: string, value: string, tags: readonly string[], ttlSeconds: number, since?: number): Promise<void>;
  /** Drops every entry stored under any of these tags (on every replica, for a shared store). */
  invalidate(tags: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long invalidations are remembered for `set(…, since)`: longer than a request may take
 * (REQUEST_DEADLINE_MS, 30 s by default). An answer begun before that is not stored.
 */
const REMEMBER_INVALIDATIONS_MS = 120_000;

interface MemoryEntry {
  value: string;
  tags: readonly string[];
  expiresAt: number;
}

/**
 * Answers in this process's memory, indexed by tag. Alone it is the embedded default (one
 * replica); in front of Redis it is each replica's first level, emptied by published invalidations.
 */
export class MemoryResponseCache implements ResponseCacheStore {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly keysByTag = new Map<string, Set<string>>();
  /** Each tag's last invalidation, oldest first (a tag invalidated again moves to the end). */
  private readonly invalidations = new Map<string, { mark: number; at: number }>();
  private lastMark = 0;
  /** Answers begun before this mark are not stored: what happened before it is forgotten. */
  private horizon = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get size(): number {
    return this.entries.size;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.remove(key);
    return undefined;
  }

  mark(): number {
    return this.lastMark;
  }

  /** False when an answer begun at `since` may predate an invalidation of one of these tags. */
  mayStore(tags: readonly string[], since: number): boolean {
    if (since < this.horizon) return false;
    return tags.every((tag) => (this.invalidations.get(tag)?.mark ?? 0) <= since);
  }

  async set(key: string, value: string, tags: readonly string[], ttlSeconds: number, since?: number): Promise<void> {
    if (since !== undefined && !this.mayStore(tags, since)) return;
    this.remove(key);
    // Oldest first out: Map iteration follows insertion order.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
    }
    this.entries.set(key, { value, tags, expiresAt: Date.now() + ttlSeconds * 1000 });
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag) ?? new Set<string>();
      keys.add(key);
      this.keysByTag.set(tag, keys);
    }
  }

  async invalidate(tags: readonly string[]): Promise<void> {
    const now = Date.now();
    this.lastMark += 1;
    for (const tag of tags) {
      this.invalidations.delete(tag);
      this.invalidations.set(tag, { mark: this.lastMark, at: now });
      for (const key of this.keysByTag.get(tag) ?? []) this.remove(key);
    }
    for (const [tag, { mark, at }] of this.invalidations) {
      if (at > now - REMEMBER_INVALIDATIONS_MS) break;
      this.invalidations.delete(tag);
      this.horizon = Math.max(this.horizon, mark);
    }
  }

  /** The keys stored under any of these tags. */
  keysUnder(tags: readonly string[]): string[] {
    return [...new Set(tags.flatMap((tag) => [...(this.keysByTag.get(tag) ?? [])]))];
  }

  /** Forgets every entry, and does not store answers begun before. */
  clear(): void {
    this.entries.clear();
    this.keysByTag.clear();
    this.invalidations.clear();
    this.lastMark += 1;
    this.horizon = this.lastMark;
  }

  async close(): Promise<void> {
    this.clear();
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }
}
