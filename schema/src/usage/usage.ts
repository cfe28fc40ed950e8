/**
 * What the gateway records of its traffic and the checks read back: per operation document, the
 * schema coordinates it uses, and how often each client (name and version) sent it, per hour.
 */

/** A document the gateway has seen, once per document hash (the sha256 of the text the client sent). */
export interface SeenDocument {
  readonly hash: string;
  /** The operation's name, or `null` for an anonymous one. */
  readonly name: string | null;
  /** The text the client sent (what a trusted-documents manifest lists); `null` when it was too long to keep. */
  readonly body: string | null;
  /** The schema coordinates it uses (`Type`, `Type.field`, `Type.field.argument`, `Enum.VALUE`, `Input.field`). */
  readonly coordinates: readonly string[];
}

/** How often one client sent one document within one hour. */
export interface UsageCount {
  readonly hash: string;
  readonly clientName: string;
  readonly clientVersion: string;
  /** The hour's start, in ms since the epoch. */
  readonly hour: number;
  readonly count: number;
  /** ms since the epoch. */
  readonly lastSeen: number;
}

/** What one flush writes. */
export interface UsageBatch {
  readonly documents: readonly SeenDocument[];
  readonly counts: readonly UsageCount[];
}

/** The use recorded since a time: the counts, and the documents they name. */
export interface UsageSnapshot {
  readonly documents: ReadonlyMap<string, SeenDocument>;
  readonly counts: readonly UsageCount[];
}

/** Where usage is kept: a file on the embedded default, PostgreSQL when configured; replicas share one. */
export interface UsageStore {
  /** How reports name it (a path, or the database without its password). */
  readonly description: string;
  /** Adds the batch: counts of the same document, client and hour add up, whichever replica wrote them. */
  write(batch: UsageBatch): Promise<void>;
  /** The use last seen at or after `since` in an hour that began by `until` (ms since the epoch; default: no end). */
  read(since: number, until?: number): Promise<UsageSnapshot>;
  /** Forgets the hours that ended before `before`. */
  prune(before: number): Promise<void>;
  close(): Promise<void>;
}

export const HOUR_MS = 3_600_000;

export const hourOf = (time: number): number => Math.floor(time / HOUR_MS) * HOUR_MS;

/** One operation sent by one client version in the window, with its total count. */
export interface OperationUse {
  readonly hash: string;
  readonly operation: string;
  readonly clientName: string;
  readonly clientVersion: string;
  readonly count: number;
  readonly lastSeen: number;
}

/** A client with no name header is recorded as this. */
export const UNKNOWN_CLIENT = 'unknown';

/** Who sent the documents `uses` accepts, by document and client version, the most frequent first. */
export function operationUses(snapshot: UsageSnapshot, uses: (document: SeenDocument) => boolean): OperationUse[] {
  const byKey = new Map<string, OperationUse>();
  for (const count of snapshot.counts) {
    const document = snapshot.documents.get(count.hash);
    if (!document || !uses(document)) continue;
    const key = JSON.stringify([count.hash, count.clientName, count.clientVersion]);
    const previous = byKey.get(key);
    byKey.set(key, {
      hash: count.hash,
      operation: document.name ?? `(anonymous ${count.hash.slice(0, 12)})`,
      clientName: count.clientName,
      clientVersion: count.clientVersion,
      count: (previous?.count ?? 0) + count.count,
      lastSeen: Math.max(previous?.lastSeen ?? 0, count.lastSeen),
    });
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || a.operation.localeCompare(b.operation));
}

/** `client-a 1.2.0`, or `client-a` without a version. */
export const clientLabel = (use: Pick<OperationUse, 'clientName' | 'clientVersion'>): string =>
  use.clientVersion ? `${use.clientName} ${use.clientVersion}` : use.clientName;

/** One line per use: `PartnerProfile by client-a 1.2.0: 3 requests, last 2026-12-01T12:00:00.000Z`. */
export function formatUse(use: OperationUse): string {
  const requests = `${use.count} request${use.count === 1 ? '' : 's'}`;
  return `${use.operation} by ${clientLabel(use)}: ${requests}, last ${new Date(use.lastSeen).toISOString()}`;
}

/** `7d`, `24h`, `30m` as ms; `undefined` for anything else. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d+)(d|h|m)$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = { d: 86_400_000, h: HOUR_MS, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return amount > 0 ? amount * unit : undefined;
}

/** `7d` → `7 days`, for "no use seen in the last 7 days". */
export function describeWindow(text: string): string {
  const match = /^(\d+)(d|h|m)$/.exec(text.trim());
  if (!match) return text;
  const amount = Number(match[1]);
  const unit = { d: 'day', h: 'hour', m: 'minute' }[match[2] as 'd' | 'h' | 'm'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
