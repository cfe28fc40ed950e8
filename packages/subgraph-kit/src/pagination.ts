import { badUserInput } from '@cip/core';
import DataLoader from 'dataloader';
import { Kind, type GraphQLResolveInfo, type SelectionNode } from 'graphql';
import type { Queryable } from './database.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null | undefined;
  after?: string | null | undefined;
}

/**
 * What a query asks of a connection: its `totalCount`, its rows (`nodes`, `edges` or `pageInfo`),
 * or both. A part not asked for costs no SQL: counting 50,000 matches to show 20 is most of a page's cost.
 */
export interface ConnectionParts {
  totalCount: boolean;
  rows: boolean;
}

const EVERY_PART: ConnectionParts = { totalCount: true, rows: true };

/** A validated page request: how many rows, the sort key to start after, and which parts to read. */
export interface Page {
  size: number;
  afterKey: string | null;
  /** Both parts when not given (a caller with no query behind it, such as a test or an export). */
  parts?: ConnectionParts;
}

export interface Connection<Node> {
  edges: { cursor: string; node: Node }[];
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** NaN when the query did not ask for it: GraphQL refuses to serialize it, so it can never be shown as a count. */
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

/**
 * Reads a connection field's arguments; with the field's `info`, also which parts of the
 * connection the query selects, so that the store reads only those.
 */
export function parsePage(
  { first, after }: PageArgs,
  info?: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>,
): Page {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}; got ${size}.`, 'first');
  }
  const page: Page = { size, afterKey: after == null ? null : decodeCursor(after) };
  if (info) page.parts = connectionParts(info);
  return page;
}

const ROW_FIELDS = new Set(['nodes', 'edges', 'pageInfo']);

/** Which parts of the connection the resolved field selects, through fragments too. */
export function connectionParts(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>): ConnectionParts {
  const parts: ConnectionParts = { totalCount: false, rows: false };
  const visit = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === 'totalCount') parts.totalCount = true;
        else if (ROW_FIELDS.has(selection.name.value)) parts.rows = true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet.selections);
      else {
        const fragment = info.fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet.selections);
      }
    }
  };
  for (const field of info.fieldNodes) if (field.selectionSet) visit(field.selectionSet.selections);
  return parts;
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
// and on a PostgreSQL server whatever its locale; an index on the sort key `COLLATE "C"` serves
// each page as a range scan that stops after the page (keyset pagination).

/** A list's matching rows as SQL pieces, so that a page and a count are each one cheap statement. */
export interface ListSql {
  /** The node's columns, e.g. `a.id, a.title`. */
  columns: string;
  /** The sort key: a unique text expression, e.g. `a.id`. */
  sortKey: string;
  /** The FROM clause, e.g. `agreements.agreement a`. */
  from: string;
  /** The conditions every matching row meets; their parameters are `$1`, `$2`... of `params`. */
  where: readonly string[];
  params: readonly unknown[];
  /**
   * A statement (same parameters) selecting the number of matching rows as `total`, where one is
   * cheaper than `count(*)` over `from` and `where` (a count over one index). Default: that count.
   */
  totalSql?: string;
}

/** A filter of a list: its value as given (null or undefined: not given), and its condition given its value's placeholder. */
export type ListFilter = readonly [value: unknown, condition: (placeholder: string) => string];

/**
 * The conditions of the filters given and none for the others, each value the next parameter
 * (`$1`, `$2`...). A condition per filter given, rather than `($n IS NULL OR ...)` for every one,
 * lets PostgreSQL plan each filter on its index (a link filter as a semi-join, not a sub-plan per
 * row). Values are only ever parameters: the SQL text depends on which filters are given, never on their values.
 */
export function givenFilters(filters: readonly ListFilter[]): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [value, condition] of filters) {
    if (value === null || value === undefined) continue;
    params.push(value);
    where.push(condition(`$${params.length}`));
  }
  return { where, params };
}

const whereClause = (conditions: readonly string[]) =>
  conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;

/** The part of a page's rows after the cursor, in sort order, one more than the page to tell a next page. */
function pageRowsSql(
  { columns, sortKey, from, where }: Omit<ListSql, 'params'>,
  after: string | null,
  limit: string,
): string {
  const conditions = after === null ? where : [...where, `${sortKey} COLLATE "C" > ${after}::text`];
  return `SELECT ${sortKey} AS sort_key, ${columns} FROM ${from}${whereClause(conditions)}
    ORDER BY ${sortKey} COLLATE "C" LIMIT ${limit}`;
}

/**
 * One page of a root list in one statement, reading only the parts the query asked for
 * (`page.parts`): the page's rows by the sort key's index, and the count by `totalSql`.
 */
export async function fetchPage<Node>(
  db: Queryable,
  list: ListSql,
  page: Page,
  toNode: (row: Record<string, unknown>) => Node,
): Promise<Connection<Node>> {
  const { totalCount, rows } = page.parts ?? EVERY_PART;
  const n = list.params.length;
  const totalSql = list.totalSql ?? `SELECT count(*)::int AS total FROM ${list.from}${whereClause(list.where)}`;
  if (!rows) {
    const [row] = await db.query<{ total: number }>(totalSql, list.params);
    return toConnection([], page, row?.total ?? 0);
  }
  const params = [...list.params, page.size + 1, ...(page.afterKey === null ? [] : [page.afterKey])];
  const rowsSql = pageRowsSql(list, page.afterKey === null ? null : `$${n + 2}`, `$${n + 1}`);
  const found = await db.query<Record<string, unknown>>(
    totalCount
      ? `SELECT totals.total AS page_total, paged.* FROM (${totalSql}) totals LEFT JOIN LATERAL (${rowsSql}) paged ON true`
      : rowsSql,
    params,
  );
  // With nothing after the cursor, the LEFT JOIN leaves one row holding only the total.
  const keyed = found
    .filter((row) => row.sort_key !== null)
    .map((row) => ({ key: row.sort_key as string, node: toNode(row) }));
  return toConnection(keyed, page, totalCount ? ((found[0]?.page_total as number | undefined) ?? 0) : Number.NaN);
}

/** The children of each parent as SQL pieces: `parent.id` in `where` is the parent's id. */
export interface ChildPageSql extends Omit<ListSql, 'params' | 'totalSql'> {
  /** Selects `parent_id` and `total`, the number of children of each parent in `$1` (a text[]). */
  totalsSql: string;
}

/**
 * A DataLoader for one page of children per parent (a partner's agreements, an alliance's members),
 * answering every parent of a request in one SQL statement whatever their number: each parent's
 * page by the sort key's index, its total by `totalsSql`, each only if the query asks for it.
 * Totals are counted before the cursor, so `totalCount` is the whole list's size.
 */
export function childPageLoader<Node>(
  db: Queryable,
  children: ChildPageSql,
  toNode: (row: Record<string, unknown>) => Node,
): DataLoader<ChildPageKey, Connection<Node>, string> {
  return new DataLoader<ChildPageKey, Connection<Node>, string>(
    async (keys) => {
      // Parents asked with the same page arguments (the usual case: one field in one query) share a statement.
      const groups = new Map<string, { page: Page; parentIds: Set<string> }>();
      for (const key of keys) {
        const group = groups.get(pageKey(key.page)) ?? { page: key.page, parentIds: new Set<string>() };
        group.parentIds.add(key.parentId);
        groups.set(pageKey(key.page), group);
      }
      const results = new Map<string, Connection<Node>>();
      for (const { page, parentIds } of groups.values()) {
        const byParent = await childPages(db, children, [...parentIds], page, toNode);
        for (const parentId of parentIds) {
          const entry = byParent.get(parentId);
          const total = (page.parts ?? EVERY_PART).totalCount ? (entry?.total ?? 0) : Number.NaN;
          results.set(cacheKey({ parentId, page }), toConnection(entry?.rows ?? [], page, total));
        }
      }
      return keys.map((key) => results.get(cacheKey(key))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

/** One statement for the parents' pages and totals (the parts asked), grouped by parent. */
async function childPages<Node>(
  db: Queryable,
  children: ChildPageSql,
  parentIds: string[],
  page: Page,
  toNode: (row: Record<string, unknown>) => Node,
): Promise<Map<string, { total: number; rows: Keyed<Node>[] }>> {
  const { totalCount, rows } = page.parts ?? EVERY_PART;
  const byParent = new Map<string, { total: number; rows: Keyed<Node>[] }>();
  if (!rows) {
    for (const row of await db.query<{ parent_id: string; total: number }>(children.totalsSql, [parentIds])) {
      byParent.set(row.parent_id, { total: row.total, rows: [] });
    }
    return byParent;
  }
  const totals = totalCount
    ? `LEFT JOIN (${children.totalsSql}) totals ON totals.parent_id = parent.id`
    : 'CROSS JOIN (SELECT NULL::int AS total) totals';
  const rowsSql = pageRowsSql(children, page.afterKey === null ? null : '$3', '$2');
  const found = await db.query<Record<string, unknown>>(
    `SELECT parent.id AS page_parent, totals.total AS page_total, paged.*
     FROM unnest($1::text[]) AS parent(id) ${totals}
     LEFT JOIN LATERAL (${rowsSql}) paged ON true
     ORDER BY parent.id, paged.sort_key COLLATE "C"`,
    [parentIds, page.size + 1, ...(page.afterKey === null ? [] : [page.afterKey])],
  );
  for (const row of found) {
    const parentId = row.page_parent as string;
    const entry = byParent.get(parentId) ?? { total: (row.page_total as number | null) ?? 0, rows: [] };
    // With no child after the cursor, the LEFT JOIN leaves a row holding only the total.
    if (row.sort_key !== null) entry.rows.push({ key: row.sort_key as string, node: toNode(row) });
    byParent.set(parentId, entry);
  }
  return byParent;
}

function pageKey(page: Page): string {
  const { totalCount, rows } = page.parts ?? EVERY_PART;
  return `${page.size}\u0000${page.afterKey ?? ''}\u0000${totalCount ? 't' : ''}${rows ? 'r' : ''}`;
}

function cacheKey(key: ChildPageKey): string {
  return `${key.parentId}\u0000${pageKey(key.page)}`;
}
