/** Where cached answers live, each with the entity tags it was stored under. */
export interface ResponseCacheStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, tags: readonly string[], ttlSeconds: number): Promise<void>;
  /** Drops every entry stored under any of these tags (on every replica, for a shared store). */
  invalidate(tags: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

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

  async set(key: string, value: string, tags: readonly string[], ttlSeconds: number): Promise<void> {
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
    for (const tag of tags) for (const key of this.keysByTag.get(tag) ?? []) this.remove(key);
  }

  clear(): void {
    this.entries.clear();
    this.keysByTag.clear();
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
