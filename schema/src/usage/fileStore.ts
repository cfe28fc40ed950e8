import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SeenDocument, UsageBatch, UsageCount, UsageSnapshot, UsageStore } from './usage.js';

/** The file's shape: documents by hash, and the counts per document, client version and hour. */
interface UsageFile {
  format: 'cip-usage';
  version: 1;
  documents: Record<string, Omit<SeenDocument, 'hash'>>;
  counts: UsageCount[];
}

const empty = (): UsageFile => ({ format: 'cip-usage', version: 1, documents: {}, counts: [] });

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 15_000;
const LOCK_RETRY_MS = 20;

const countKey = (count: UsageCount) => JSON.stringify([count.hash, count.clientName, count.clientVersion, count.hour]);

/**
 * The embedded default's store: one JSON file. Every change is read, merged and written whole
 * (through a temporary file and a rename, so a reader never sees half of it) under a lock file, so
 * several gateways on one machine can share it.
 */
export class FileUsageStore implements UsageStore {
  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  private async load(): Promise<UsageFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<UsageFile>;
    if (parsed.format !== 'cip-usage' || parsed.version !== 1) throw new Error(`${this.path} is not a usage file`);
    return { ...empty(), ...parsed };
  }

  private async save(file: UsageFile): Promise<void> {
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(file)}\n`);
    await rename(temporary, this.path);
  }

  /** Runs `work` holding the lock file; takes over a lock left by a process that died. */
  private async locked<T>(work: () => Promise<T>): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true });
    const lock = `${this.path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = await stat(lock).then(
          (info) => Date.now() - info.mtimeMs,
          () => 0,
        );
        if (age > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
        else if (Date.now() > deadline) throw new Error(`${lock} is held by another process`);
        else await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      }
    }
    try {
      return await work();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  write(batch: UsageBatch): Promise<void> {
    return this.locked(async () => {
      const file = await this.load();
      for (const { hash, ...document } of batch.documents) file.documents[hash] ??= document;
      const counts = new Map(file.counts.map((count) => [countKey(count), count]));
      for (const count of batch.counts) {
        const previous = counts.get(countKey(count));
        counts.set(
          countKey(count),
          previous
            ? {
                ...previous,
                count: previous.count + count.count,
                lastSeen: Math.max(previous.lastSeen, count.lastSeen),
              }
            : count,
        );
      }
      file.counts = [...counts.values()];
      await this.save(file);
    });
  }

  async read(since: number, until = Number.POSITIVE_INFINITY): Promise<UsageSnapshot> {
    const file = await this.load();
    return {
      documents: new Map(Object.entries(file.documents).map(([hash, document]) => [hash, { hash, ...document }])),
      counts: file.counts.filter((count) => count.lastSeen >= since && count.hour <= until),
    };
  }

  prune(before: number): Promise<void> {
    return this.locked(async () => {
      const file = await this.load();
      file.counts = file.counts.filter((count) => count.lastSeen >= before);
      const kept = new Set(file.counts.map((count) => count.hash));
      for (const hash of Object.keys(file.documents)) if (!kept.has(hash)) delete file.documents[hash];
      await this.save(file);
    });
  }

  async close(): Promise<void> {}
}
