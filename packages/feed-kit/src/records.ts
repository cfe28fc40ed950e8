import type { z } from 'zod';

/** A record the partner sent that does not match the declared schema: kept out of the graph, and reported. */
export interface QuarantinedRecord {
  /** The record's `id` when it has a readable one, so the partner can find it. */
  id: string | null;
  /** Its position in the feed (0-based, across pages). */
  index: number;
  /** One line per problem: the field path and what is wrong with it. */
  reasons: string[];
}

export interface ValidationResult<T> {
  records: T[];
  quarantined: QuarantinedRecord[];
}

function readableId(raw: unknown): string | null {
  if (typeof raw !== 'object' || raw === null || !('id' in raw)) return null;
  const { id } = raw;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/**
 * Validates every record on its own: a bad record is quarantined with its reasons and the rest
 * keep flowing. A second record with an id already seen is quarantined too (ids must be unique for
 * lookups and `_entities` to mean anything).
 */
export function validateRecords<T extends { id: string }>(
  raws: readonly unknown[],
  schema: z.ZodType<T>,
): ValidationResult<T> {
  const records: T[] = [];
  const quarantined: QuarantinedRecord[] = [];
  const seen = new Set<string>();
  raws.forEach((raw, index) => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      quarantined.push({
        id: readableId(raw),
        index,
        reasons: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`),
      });
      return;
    }
    if (seen.has(parsed.data.id)) {
      quarantined.push({ id: parsed.data.id, index, reasons: [`id: ${parsed.data.id} appears more than once`] });
      return;
    }
    seen.add(parsed.data.id);
    records.push(parsed.data);
  });
  return { records, quarantined };
}

/** One page of a feed: its records, and the URL of the next page when there is one. */
export interface FeedPage {
  records: unknown[];
  next: string | null;
}

/**
 * The page shapes partner feeds commonly use: a bare JSON array (one page), or an object with the
 * records under `records`, `items` or `data` and the next page's URL (absolute or relative) under
 * `next`. A feed with another shape passes its own reader.
 */
export function readDefaultPage(body: unknown, url: string): FeedPage {
  if (Array.isArray(body)) return { records: body, next: null };
  if (typeof body === 'object' && body !== null) {
    const page = body as Record<string, unknown>;
    const records = [page.records, page.items, page.data].find(Array.isArray);
    if (records) {
      const next = typeof page.next === 'string' && page.next !== '' ? new URL(page.next, url).toString() : null;
      return { records: records as unknown[], next };
    }
  }
  throw new Error('the document is neither a JSON array nor an object with a records, items or data array');
}
