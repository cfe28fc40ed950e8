import {
  HOUR_MS,
  hourOf,
  usedCoordinates,
  type SeenDocument,
  type UsageCount,
  type UsageStore,
} from '@cip/schema/usage';
import { Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { Logger } from '@cip/core';

/** Who sent a request, from its client headers. */
export interface ClientIdentity {
  readonly name: string;
  readonly version: string;
}

/** One request as the recorder sees it: the text sent, its sha256, the parsed document and the schema it ran on. */
export interface RecordedRequest {
  readonly hash: string;
  readonly text: string;
  readonly document: DocumentNode;
  readonly operationName: string | null | undefined;
  readonly schema: GraphQLSchema;
  readonly client: ClientIdentity;
}

export interface UsageRecorderOptions {
  readonly store: UsageStore;
  readonly sampleRate: number;
  readonly maxDocuments: number;
  readonly maxPendingCounts: number;
  readonly maxDocumentBytes: number;
  readonly retentionMs: number;
  readonly logger: Logger;
  /** The clock (ms since the epoch); tests move it. */
  readonly now?: () => number;
  /** In [0, 1); tests fix it. */
  readonly random?: () => number;
}

/** What the recorder holds in memory now: each number stays at or under its cap. */
export interface UsageRecorderStats {
  readonly documents: number;
  readonly pendingCounts: number;
  /** Counts dropped since start because the pending counts were at their cap. */
  readonly droppedCounts: number;
}

interface PendingCount {
  readonly document: SeenDocument;
  readonly clientName: string;
  readonly clientVersion: string;
  readonly hour: number;
  count: number;
  lastSeen: number;
}

function operationNameOf(document: DocumentNode, chosen: string | null | undefined): string | null {
  if (chosen) return chosen;
  for (const definition of document.definitions)
    if (definition.kind === Kind.OPERATION_DEFINITION) return definition.name?.value ?? null;
  return null;
}

/**
 * Usage, aggregated in memory and written to the store off the request path. Per request it adds
 * one to a count in a map; a document's coordinates are computed the first time it is seen and
 * kept by its hash. Memory is bounded twice: at most `maxDocuments` documents are kept (the least
 * recently seen is forgotten, and computed again if it comes back), and at most `maxPendingCounts`
 * counts wait for a flush. Past that cap a request of a new document or client is not counted (it
 * is counted as dropped, and a flush is started at once); counts already held still grow.
 */
export class UsageRecorder {
  private readonly documents = new Map<string, SeenDocument>();
  private pending = new Map<string, PendingCount>();
  private dropped = 0;
  private droppedSinceFlush = 0;
  private flushing: Promise<void> = Promise.resolve();
  private earlyFlushRequested = false;
  private lastPrune = 0;
  private readonly now: () => number;
  private readonly random: () => number;
  /** Each sampled request stands for this many. */
  private readonly weight: number;

  constructor(private readonly options: UsageRecorderOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.weight = 1 / options.sampleRate;
  }

  record(request: RecordedRequest): void {
    if (this.options.sampleRate < 1 && this.random() >= this.options.sampleRate) return;
    const now = this.now();
    const hour = hourOf(now);
    const { name, version } = request.client;
    const key = `${request.hash}\n${name}\n${version}\n${hour}`;
    const pending = this.pending.get(key);
    if (pending) {
      pending.count += this.weight;
      pending.lastSeen = now;
      return;
    }
    if (this.pending.size >= this.options.maxPendingCounts) {
      this.dropped++;
      this.droppedSinceFlush++;
      this.requestEarlyFlush();
      return;
    }
    const document = this.documentOf(request);
    this.pending.set(key, {
      document,
      clientName: name,
      clientVersion: version,
      hour,
      count: this.weight,
      lastSeen: now,
    });
  }

  /** The document's record, computed once per hash and kept while it is among the most recently seen. */
  private documentOf(request: RecordedRequest): SeenDocument {
    const known = this.documents.get(request.hash);
    if (known) {
      // A Map iterates in insertion order: re-inserting makes it the most recently seen.
      this.documents.delete(request.hash);
      this.documents.set(request.hash, known);
      return known;
    }
    const document: SeenDocument = {
      hash: request.hash,
      name: operationNameOf(request.document, request.operationName),
      body: Buffer.byteLength(request.text) <= this.options.maxDocumentBytes ? request.text : null,
      coordinates: [...usedCoordinates(request.schema, request.document)].sort(),
    };
    this.documents.set(request.hash, document);
    if (this.documents.size > this.options.maxDocuments) {
      const oldest = this.documents.keys().next().value;
      if (oldest !== undefined) this.documents.delete(oldest);
    }
    return document;
  }

  private requestEarlyFlush(): void {
    if (this.earlyFlushRequested) return;
    this.earlyFlushRequested = true;
    setImmediate(() => {
      this.earlyFlushRequested = false;
      void this.flush();
    });
  }

  stats(): UsageRecorderStats {
    return { documents: this.documents.size, pendingCounts: this.pending.size, droppedCounts: this.dropped };
  }

  /** Writes what is held to the store; flushes run one after another, never two at once. Never rejects. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    const dropped = this.droppedSinceFlush;
    this.pending = new Map();
    this.droppedSinceFlush = 0;
    if (dropped > 0) {
      this.options.logger.warn(
        { dropped, maxPendingCounts: this.options.maxPendingCounts },
        'usage: counts dropped, the pending counts were at their cap (USAGE_MAX_PENDING_COUNTS)',
      );
    }
    const now = this.now();
    try {
      if (batch.size > 0) {
        const documents = new Map<string, SeenDocument>();
        const counts: UsageCount[] = [];
        for (const pending of batch.values()) {
          documents.set(pending.document.hash, pending.document);
          counts.push({
            hash: pending.document.hash,
            clientName: pending.clientName,
            clientVersion: pending.clientVersion,
            hour: pending.hour,
            count: Math.max(1, Math.round(pending.count)),
            lastSeen: pending.lastSeen,
          });
        }
        await this.options.store.write({ documents: [...documents.values()], counts });
      }
      if (now - this.lastPrune >= HOUR_MS) {
        this.lastPrune = now;
        await this.options.store.prune(now - this.options.retentionMs);
      }
    } catch (error) {
      this.options.logger.warn(
        { err: error, store: this.options.store.description },
        'usage: flush failed; kept for the next one',
      );
      // Put back what was not written, within the cap: a store that is down costs counts, not memory.
      for (const [key, pending] of batch) {
        const current = this.pending.get(key);
        if (current) {
          current.count += pending.count;
          current.lastSeen = Math.max(current.lastSeen, pending.lastSeen);
        } else if (this.pending.size < this.options.maxPendingCounts) this.pending.set(key, pending);
        else this.dropped++;
      }
    }
  }
}
