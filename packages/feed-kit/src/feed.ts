import { codedError } from '@cip/core';
import DataLoader from 'dataloader';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import { defaultFetchPolicy, fetchFeedDocument, type FetchPolicy, type Validators } from './http.js';
import { feedMetrics, type FeedMetrics } from './metrics.js';
import { readDefaultPage, validateRecords, type FeedPage, type QuarantinedRecord } from './records.js';

export interface PartnerFeedOptions<T extends { id: string }> {
  /** A short name for logs, metrics and `/ready`, e.g. `partner-reports`. */
  name: string;
  /** The first (or only) page of the feed. */
  url: string;
  /** What one valid record is. Records that do not match are quarantined, not served. */
  record: z.ZodType<T>;
  /** How long a copy is served before the feed is asked again (default 60 s). */
  ttlMs?: number;
  /**
   * After a failed refresh, how long before the partner is asked again (default 5 s, or the TTL if
   * shorter): soon enough to recover quickly, not so soon that a partner that is down gets hammered.
   */
  retryFailedAfterMs?: number;
  /** The most pages followed in one refresh; a feed longer than that is treated as broken (default 100). */
  maxPages?: number;
  /**
   * Whether a feed that answers with no records at all may replace a copy that had some (default
   * false: an empty answer from a partner is far more often an outage than the truth).
   */
  allowEmpty?: boolean;
  /** Reads a page's records and next URL from its parsed JSON; the default reads common shapes. */
  readPage?: (body: unknown, url: string) => FeedPage;
  /** Extra request headers (an API key the partner gave us, for example). */
  headers?: Record<string, string>;
  fetchPolicy?: Partial<FetchPolicy>;
  /** Where the feed's metrics go (default: a registry of its own, see `metricsRegistry`). */
  registry?: Registry;
  now?: () => number;
}

/** The copy of the feed being served. */
export interface FeedSnapshot<T> {
  records: readonly T[];
  byId: ReadonlyMap<string, T>;
  /** When this copy was last fetched or confirmed unchanged by a 304 (ms since the epoch). */
  fetchedAt: number;
  /** True when the last refresh failed and this is the last good copy. */
  stale: boolean;
  /** When refreshing started failing, while stale (ms since the epoch); null while fresh. */
  staleSince: number | null;
  /** Why the last refresh failed, when it did. */
  lastError: string | null;
  /** The records of the last fetched copy that failed validation. */
  quarantined: readonly QuarantinedRecord[];
}

/**
 * How current the served copy is, for clients: a feed-backed subgraph answers it as each record's
 * `freshness` (docs/integrating-a-partner-feed.md), so a screen can tell a partner's last good copy
 * from fresh data, and since when, not only `/ready`.
 */
export interface FeedFreshness {
  /** True while the partner cannot be refreshed and the last good copy is served. */
  stale: boolean;
  /** When the partner last sent or confirmed this copy (ISO 8601, UTC). */
  asOf: string;
  /** When refreshing started failing (ISO 8601, UTC); null while fresh. */
  staleSince: string | null;
}

/** What `/ready` shows about a feed. Ready means there is a copy to serve, even a stale one. */
export interface FeedStatus {
  feed: string;
  state: 'not-loaded' | 'fresh' | 'stale' | 'unavailable';
  ready: boolean;
  records: number;
  fetchedAt: string | null;
  staleSince: string | null;
  lastError: string | null;
  quarantine: { count: number; ids: (string | null)[]; records: readonly QuarantinedRecord[] };
}

interface CachedPage {
  validators: Validators;
  records: unknown[];
  next: string | null;
}

/**
 * A partner's HTTP/JSON feed as a data source: fetched with keep-alive, a timeout and retries,
 * asked conditionally, cached for a TTL, validated record by record. When the partner is down the
 * last good copy is served, marked stale; a failed refresh never replaces good data with nothing.
 * One instance per process (it holds the cache); `loaders()` once per request.
 */
export class PartnerFeed<T extends { id: string }> {
  readonly name: string;
  readonly registry: Registry;
  private readonly options: PartnerFeedOptions<T>;
  private readonly policy: FetchPolicy;
  private readonly metrics: FeedMetrics;
  private readonly now: () => number;
  private readonly pages = new Map<string, CachedPage>();
  private snapshot: FeedSnapshot<T> | undefined;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastFailure: string | null = null;
  private inFlight: Promise<FeedSnapshot<T>> | undefined;

  constructor(options: PartnerFeedOptions<T>) {
    this.name = options.name;
    this.options = options;
    this.policy = { ...defaultFetchPolicy(), ...options.fetchPolicy };
    this.registry = options.registry ?? new Registry();
    this.metrics = feedMetrics(this.registry);
    this.now = options.now ?? Date.now;
  }

  /**
   * The copy to serve: the cached one within its TTL, otherwise a refresh (one at a time, however
   * many requests ask). Throws `FEED_UNAVAILABLE` only when there has never been a good copy.
   */
  async load(): Promise<FeedSnapshot<T>> {
    const ttl = this.options.ttlMs ?? 60_000;
    if (this.inFlight) return this.inFlight;
    // After a failure we wait too before asking again, so a partner that is down is not hammered
    // by every request; the stale copy is served meanwhile.
    const wait = this.lastFailure === null ? ttl : Math.min(ttl, this.options.retryFailedAfterMs ?? 5_000);
    if (this.now() - this.lastAttemptAt < wait) {
      if (this.snapshot) return this.snapshot;
      throw this.unavailable();
    }
    return this.refresh();
  }

  /** Asks the feed now, whatever the TTL. */
  refresh(): Promise<FeedSnapshot<T>> {
    this.inFlight ??= this.fetchAll().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  status(): FeedStatus {
    const snapshot = this.snapshot;
    const quarantined = snapshot?.quarantined ?? [];
    const state: FeedStatus['state'] = snapshot
      ? snapshot.stale
        ? 'stale'
        : 'fresh'
      : this.lastFailure
        ? 'unavailable'
        : 'not-loaded';
    return {
      feed: this.name,
      state,
      ready: snapshot !== undefined,
      records: snapshot?.records.length ?? 0,
      fetchedAt: snapshot ? new Date(snapshot.fetchedAt).toISOString() : null,
      staleSince: snapshot?.staleSince == null ? null : new Date(snapshot.staleSince).toISOString(),
      lastError: this.lastFailure,
      quarantine: { count: quarantined.length, ids: quarantined.map((record) => record.id), records: quarantined },
    };
  }

  /** How current the copy now served is; FEED_UNAVAILABLE when there has never been one. */
  async freshness(): Promise<FeedFreshness> {
    const snapshot = await this.load();
    return {
      stale: snapshot.stale,
      asOf: new Date(snapshot.fetchedAt).toISOString(),
      staleSince: snapshot.staleSince === null ? null : new Date(snapshot.staleSince).toISOString(),
    };
  }

  /** Closes the kept-alive connections to the partner (on shutdown). */
  async close(): Promise<void> {
    await this.policy.dispatcher.close();
  }

  /** Per-request loaders: by-id lookups and `_entities` batches resolve from one load of the feed. */
  loaders() {
    const byId = new DataLoader<string, T | null>(async (ids) => {
      const snapshot = await this.load();
      return ids.map((id) => snapshot.byId.get(id) ?? null);
    });
    return {
      byId,
      /** Every record, in feed order. */
      all: async () => (await this.load()).records,
      /** A loader of the records that share a key (for example every record about one partner). */
      groupedBy: (keyOf: (record: T) => string | null) =>
        new DataLoader<string, T[]>(async (keys) => {
          const { records } = await this.load();
          return keys.map((key) => records.filter((record) => keyOf(record) === key));
        }),
    };
  }

  private unavailable() {
    return codedError(
      'FEED_UNAVAILABLE',
      `The partner feed ${this.name} has not answered with usable data yet${this.lastFailure ? ` (${this.lastFailure})` : ''}; try again later.`,
      { extensions: { feed: this.name } },
    );
  }

  private async fetchAll(): Promise<FeedSnapshot<T>> {
    this.lastAttemptAt = this.now();
    try {
      const { raws, changed } = await this.fetchPages();
      const previous = this.snapshot;
      if (!changed && previous) {
        this.metrics.refreshes.inc({ feed: this.name, outcome: 'not_modified' });
        return this.serve({ ...previous, fetchedAt: this.now(), stale: false, staleSince: null, lastError: null });
      }
      const { records, quarantined } = validateRecords(raws, this.options.record);
      if (records.length === 0 && quarantined.length > 0) {
        throw new Error(`every one of its ${quarantined.length} records failed validation`);
      }
      if (records.length === 0 && previous && previous.records.length > 0 && !this.options.allowEmpty) {
        throw new Error('it answered with no records, where the last good copy had some');
      }
      this.metrics.refreshes.inc({ feed: this.name, outcome: 'fresh' });
      return this.serve({
        records,
        byId: new Map(records.map((record) => [record.id, record])),
        fetchedAt: this.now(),
        stale: false,
        staleSince: null,
        lastError: null,
        quarantined,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.lastFailure = reason;
      this.metrics.refreshes.inc({ feed: this.name, outcome: 'failed' });
      if (!this.snapshot) {
        this.metrics.stale.set({ feed: this.name }, 0);
        throw this.unavailable();
      }
      const staleSince = this.snapshot.staleSince ?? this.lastAttemptAt;
      return this.serve({ ...this.snapshot, stale: true, staleSince, lastError: reason }, reason);
    }
  }

  private serve(snapshot: FeedSnapshot<T>, failure: string | null = null): FeedSnapshot<T> {
    this.snapshot = snapshot;
    this.lastFailure = failure;
    const feed = { feed: this.name };
    this.metrics.records.set(feed, snapshot.records.length);
    this.metrics.quarantined.set(feed, snapshot.quarantined.length);
    this.metrics.stale.set(feed, snapshot.stale ? 1 : 0);
    this.metrics.ageSeconds.set(feed, (this.now() - snapshot.fetchedAt) / 1_000);
    return snapshot;
  }

  /**
   * Follows the feed page by page, at most `maxPages`, asking each page conditionally. `changed` is
   * false when every page answered 304. A page that comes round again, or a feed longer than the
   * bound, fails the whole refresh: half a feed would silently drop records.
   */
  private async fetchPages(): Promise<{ raws: unknown[]; changed: boolean }> {
    const maxPages = this.options.maxPages ?? 100;
    const raws: unknown[] = [];
    const seen = new Set<string>();
    const fetched = new Map<string, CachedPage>();
    let changed = false;
    let url: string | null = this.options.url;
    while (url !== null) {
      if (seen.has(url)) throw new Error(`page ${url} comes round again: the feed loops`);
      if (seen.size >= maxPages) throw new Error(`the feed has more than ${maxPages} pages`);
      seen.add(url);
      const cached = this.pages.get(url);
      const outcome = await fetchFeedDocument(url, cached?.validators, this.policy, this.options.headers);
      let page: CachedPage;
      if (outcome.kind === 'not-modified' && cached) {
        page = cached;
      } else if (outcome.kind === 'fresh') {
        changed = true;
        let body: unknown;
        try {
          body = JSON.parse(outcome.body);
        } catch {
          throw new Error(`page ${url} is not valid JSON`);
        }
        const read = (this.options.readPage ?? readDefaultPage)(body, url);
        page = { validators: outcome.validators, ...read };
      } else {
        throw new Error(`page ${url} answered 304 to a request that was not conditional`);
      }
      fetched.set(url, page);
      raws.push(...page.records);
      url = page.next;
    }
    // Only a complete walk replaces the cached pages: validators of a half-read feed would make the
    // next refresh skip pages it never stored.
    this.pages.clear();
    for (const [pageUrl, page] of fetched) this.pages.set(pageUrl, page);
    return { raws, changed };
  }
}
