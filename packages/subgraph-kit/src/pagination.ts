import { badUserInput } from '@cip/core';
import DataLoader from 'dataloader';
import type { Queryable } from './database.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/** A validated page request: how many rows, and the sort key to start after. */
export interface Page {
  size: number;
  afterKey: string | null;
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

const CURSOR_PREFIX = 'cursor:v1:';

/** Cursors are opaque to clients; inside, they carry the sort key of the last row seen. */
export function encodeCursor(key: string): string {
  return Buffer.from(CURSOR_PREFIX + key, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!decoded.startsWith(CURSOR_PREFIX))
    throw badUserInput(`"${cursor}" is not a cursor this field returned.`, 'after');
  return decoded.slice(CURSOR_PREFIX.length);
}

export function parsePage({ first, after }: PageArgs): Page {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}; got ${size}.`, 'first');
  }
  return { size, afterKey: after == null ? null : decodeCursor(after) };
}

/** A row of a page and the sort key its cursor carries. */
export interface Keyed<Node> {
  key: string;
  node: Node;
}

/** Builds a connection from up to `page.size + 1` rows: the extra row only says there is a next page. */
export function toConnection<Node>(rows: readonly Keyed<Node>[], page: Page, totalCount: number): Connection<Node> {
  const shown = rows.slice(0, page.size);
  const edges = shown.map(({ key, node }) => ({ cursor: encodeCursor(key), node }));
  return {
    edges,
    nodes: shown.map(({ node }) => node),
    pageInfo: { hasNextPage: rows.length > page.size, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

export interface ChildPageKey {
  parentId: string;
  page: Page;
}

// Sort keys are compared byte-wise (COLLATE "C") so that pages and cursors mean the same on PGlite
// and on a PostgreSQL server whatever its locale.

/**
 * A DataLoader for one page of children per parent (a partner's agreements, an alliance's members),
 * answering every parent of a request in one SQL statement whatever their number.
 *
 * `childrenSql` selects `parent_id`, `sort_key` and the node's columns for the parents in `$1`
 * (a text[]). Totals are counted before the cursor, so `totalCount` is the whole list's size.
 */
export function childPageLoader<Node>(
  db: Queryable,
  childrenSql: string,
  toNode: (row: Record<string, unknown>) => Node,
): DataLoader<ChildPageKey, Connection<Node>, string> {
  const sql = `
    WITH children AS (${childrenSql}),
    totals AS (SELECT parent_id, count(*)::int AS total FROM children GROUP BY parent_id),
    paged AS (
      SELECT children.*, row_number() OVER (PARTITION BY parent_id ORDER BY sort_key COLLATE "C") AS position
      FROM children WHERE $2::text IS NULL OR sort_key COLLATE "C" > $2::text
    )
    SELECT totals.parent_id AS page_parent, totals.total AS page_total, paged.*
    FROM totals LEFT JOIN paged ON paged.parent_id = totals.parent_id AND paged.position <= $3
    ORDER BY totals.parent_id, paged.sort_key COLLATE "C"`;

  return new DataLoader<ChildPageKey, Connection<Node>, string>(
    async (keys) => {
      // Parents asked with the same page arguments (the usual case: one field in one query) share a statement.
      const groups = new Map<string, { page: Page; parentIds: Set<string> }>();
      for (const { parentId, page } of keys) {
        const pageKey = `${page.size}\u0000${page.afterKey ?? ''}`;
        const group = groups.get(pageKey) ?? { page, parentIds: new Set<string>() };
        group.parentIds.add(parentId);
        groups.set(pageKey, group);
      }
      const results = new Map<string, Connection<Node>>();
      for (const { page, parentIds } of groups.values()) {
        const rows = await db.query<Record<string, unknown>>(sql, [[...parentIds], page.afterKey, page.size + 1]);
        const byParent = new Map<string, { total: number; rows: Keyed<Node>[] }>();
        for (const row of rows) {
          const parentId = row.page_parent as string;
          const entry = byParent.get(parentId) ?? { total: row.page_total as number, rows: [] };
          // With no child after the cursor, the LEFT JOIN leaves a row holding only the total.
          if (row.sort_key !== null) entry.rows.push({ key: row.sort_key as string, node: toNode(row) });
          byParent.set(parentId, entry);
        }
        for (const parentId of parentIds) {
          const entry = byParent.get(parentId);
          results.set(cacheKey({ parentId, page }), toConnection(entry?.rows ?? [], page, entry?.total ?? 0));
        }
      }
      return keys.map((key) => results.get(cacheKey(key))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

function cacheKey(key: ChildPageKey): string {
  return `${key.parentId}\u0000${key.page.size}\u0000${key.page.afterKey ?? ''}`;
}

/**
 * One page of a root list in one statement. `matchingSql` selects `sort_key` and the node's columns
 * of every matching row (filters applied, parameters from `$3` on); `$1`/`$2` are the cursor and limit.
 */
export async function fetchPage<Node>(
  db: Queryable,
  matchingSql: string,
  filterParams: readonly unknown[],
  page: Page,
  toNode: (row: Record<string, unknown>) => Node,
): Promise<Connection<Node>> {
  const rows = await db.query<Record<string, unknown>>(
    `WITH matching AS (${matchingSql})
     SELECT totals.total AS page_total, paged.*
     FROM (SELECT count(*)::int AS total FROM matching) totals
     LEFT JOIN LATERAL (
       SELECT * FROM matching WHERE $1::text IS NULL OR sort_key COLLATE "C" > $1::text
       ORDER BY sort_key COLLATE "C" LIMIT $2
     ) paged ON true`,
    [page.afterKey, page.size + 1, ...filterParams],
  );
  // With nothing after the cursor, the LEFT JOIN leaves one row holding only the total.
  const found = rows
    .filter((row) => row.sort_key !== null)
    .map((row) => ({ key: row.sort_key as string, node: toNode(row) }));
  return toConnection(found, page, (rows[0]?.page_total as number | undefined) ?? 0);
}
