import DataLoader from 'dataloader';

/**
 * A per-request loader of records by id: every id asked in one tick is fetched by one call of
 * `fetch` (one SQL statement); an unknown id yields null, not an error.
 */
export function byIdLoader<Row extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<readonly Row[]>,
): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (ids) => {
    const byId = new Map((await fetch(ids)).map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * A per-request loader of a bounded list per key (a partner's memberships, a sector's dependencies):
 * every key asked in one tick is answered by one call of `fetch`, its rows grouped back by `keyOf`.
 */
export function groupLoader<Row>(
  fetch: (keys: readonly string[]) => Promise<readonly Row[]>,
  keyOf: (row: Row) => string,
): DataLoader<string, Row[]> {
  return new DataLoader<string, Row[]>(async (keys) => {
    const groups = new Map<string, Row[]>(keys.map((key) => [key, []]));
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
    return keys.map((key) => groups.get(key)!);
  });
}

/** The SQL for a record's `source` object, from the three source columns every table carries. */
export function sourceColumn(tableAlias: string): string {
  return `json_build_object('document', ${tableAlias}.source_document, 'section', ${tableAlias}.source_section,
    'basis', ${tableAlias}.source_basis) AS source`;
}
