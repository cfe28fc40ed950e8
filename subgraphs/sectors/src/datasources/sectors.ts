import { badUserInput } from '@cip/core';
import {
  byIdLoader,
  fetchPage,
  givenFilters,
  groupLoader,
  readRecord,
  recordColumns,
  type Page,
  type Queryable,
  type RecordRead,
} from '@cip/subgraph-kit';
import type { SectorAgency, SectorFilter } from '../__generated__/resolvers-types.js';
import { sectorDependencyRecord, sectorRecord } from './sectorRecord.js';

/** A sector as read: its fields (sectorRecord.ts), each agency with its name, and what the office keeps beside them. */
export type SectorRow = RecordRead<typeof sectorRecord> & {
  id: string;
  agencies: SectorAgency[];
  version: number;
  archived: boolean;
};

/** One end of a dependency, seen from the sector at the other end: the dependency's fields (sectorRecord.ts). */
export type SectorDependencyRow = RecordRead<typeof sectorDependencyRecord> & {
  /** The sector at the other end. */
  sectorId: string;
};

export interface CascadeStepRow {
  sectorId: string;
  hops: number;
  /** Sector ids from the disrupted sector to this one, both included. */
  path: string[];
}

/** A dependency row as read for a batch of sectors: `ownerId` says which sector of the batch it belongs to. */
type OwnedDependencyRow = SectorDependencyRow & { ownerId: string };

export const MIN_CASCADE_HOPS = 1;
export const DEFAULT_CASCADE_HOPS = 3;
export const MAX_CASCADE_HOPS = 10;

// Agencies are aggregated in the same statement, in the plan's order, so a sector is one row.
const SECTOR_COLUMNS = `s.id,
  COALESCE((
    SELECT json_agg(json_build_object('abbreviation', a.abbreviation, 'name', a.name, 'scope', sa.scope) ORDER BY sa.position)
    FROM sectors.sector_agency sa JOIN sectors.agency a ON a.abbreviation = sa.abbreviation
    WHERE sa.sector_id = s.id
  ), '[]'::json) AS agencies,
  ${recordColumns(sectorRecord, 's')}, s.version, s.archived_at IS NOT NULL AS archived`;

const DEPENDENCY_COLUMNS = recordColumns(sectorDependencyRecord, 'd');

const toSector = (row: Record<string, unknown>) => readRecord(sectorRecord, row) as SectorRow;

const toDependency = (row: Record<string, unknown>) => readRecord(sectorDependencyRecord, row) as OwnedDependencyRow;

/**
 * An explicit null means the default, as `first: null` does for pages (the generated types say
 * `number`, but a client can send null to a nullable argument with a default).
 */
export function parseMaxHops(requested: number | null | undefined): number {
  const maxHops = requested ?? DEFAULT_CASCADE_HOPS;
  if (!Number.isInteger(maxHops) || maxHops < MIN_CASCADE_HOPS || maxHops > MAX_CASCADE_HOPS) {
    throw badUserInput(
      `maxHops must be between ${MIN_CASCADE_HOPS} and ${MAX_CASCADE_HOPS}; got ${maxHops}.`,
      'maxHops',
    );
  }
  return maxHops;
}

/**
 * Breadth-first from `startId` along `dependentsOf` (a disruption in a sector reaches the sectors that
 * depend on it): each reached sector once, with its fewest hops and the first shortest path found when
 * neighbours are explored in id order. The start sector is not a step, even when a cycle leads back to it.
 */
export function cascadeFrom(
  startId: string,
  maxHops: number,
  dependentsOf: ReadonlyMap<string, readonly string[]>,
): CascadeStepRow[] {
  const pathTo = new Map<string, string[]>([[startId, [startId]]]);
  const steps: CascadeStepRow[] = [];
  let frontier = [startId];
  for (let hops = 1; hops <= maxHops && frontier.length > 0; hops++) {
    const next: string[] = [];
    for (const from of frontier) {
      for (const to of dependentsOf.get(from) ?? []) {
        if (pathTo.has(to)) continue;
        const path = [...pathTo.get(from)!, to];
        pathTo.set(to, path);
        steps.push({ sectorId: to, hops, path });
        next.push(to);
      }
    }
    frontier = next;
  }
  return steps.sort((a, b) => a.hops - b.hops || compareIds(a.sectorId, b.sectorId));
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Every read of the sectors office, batched per request: each loader answers any number of keys
 * with one SQL statement, and the cascade reads the whole dependency graph once per request.
 */
export function createSectorsStore(db: Queryable) {
  const sectorById = byIdLoader(async (ids) =>
    (
      await db.query<Record<string, unknown>>(`SELECT ${SECTOR_COLUMNS} FROM sectors.sector s WHERE s.id = ANY($1)`, [
        ids,
      ])
    ).map(toSector),
  );

  /** Each sector's dependencies (it is their `dependent_id`) or dependents (`dependency_id`), with the sector at the other end. */
  const dependencyEnds = (own: 'dependent_id' | 'dependency_id', other: 'dependent_id' | 'dependency_id') =>
    groupLoader(
      async (sectorIds) =>
        (
          await db.query<Record<string, unknown>>(
            `SELECT d.${own} AS "ownerId", d.${other} AS "sectorId", ${DEPENDENCY_COLUMNS}
             FROM sectors.dependency d WHERE d.${own} = ANY($1) ORDER BY d.${other}`,
            [sectorIds],
          )
        ).map(toDependency),
      (row) => row.ownerId,
    );

  const dependenciesOf = dependencyEnds('dependent_id', 'dependency_id');
  const dependentsOf = dependencyEnds('dependency_id', 'dependent_id');

  // Created on the first cascade of the request and shared by every other: one statement, however
  // many sectors ask. Neighbours are sorted here, not in SQL, so the id order (and with it the
  // shortest path chosen) does not depend on the database's collation.
  let dependencyGraph: Promise<Map<string, string[]>> | undefined;
  function loadDependencyGraph() {
    dependencyGraph ??= db
      .query<{ dependencyId: string; dependentId: string }>(
        `SELECT d.dependency_id AS "dependencyId", d.dependent_id AS "dependentId" FROM sectors.dependency d`,
      )
      .then((edges) => {
        const dependents = new Map<string, string[]>();
        for (const { dependencyId, dependentId } of edges) {
          const list = dependents.get(dependencyId) ?? [];
          list.push(dependentId);
          dependents.set(dependencyId, list);
        }
        for (const list of dependents.values()) list.sort(compareIds);
        return dependents;
      });
    return dependencyGraph;
  }

  async function cascade(sectorId: string, maxHops: number): Promise<CascadeStepRow[]> {
    const hops = parseMaxHops(maxHops);
    return cascadeFrom(sectorId, hops, await loadDependencyGraph());
  }

  async function listSectors(filter: SectorFilter | null | undefined, page: Page) {
    const { where, params } = givenFilters([
      [
        filter?.agency,
        (value) => `s.id IN (SELECT sa.sector_id FROM sectors.sector_agency sa WHERE sa.abbreviation = ${value}::text)`,
      ],
      [
        filter?.dependsOn,
        (value) => `s.id IN (SELECT d.dependent_id FROM sectors.dependency d WHERE d.dependency_id = ${value}::text)`,
      ],
    ]);
    if (filter?.includeArchived !== true) where.push('s.archived_at IS NULL');
    const connection = await fetchPage(
      db,
      { sortKey: 's.id', columns: SECTOR_COLUMNS, from: 'sectors.sector s', where, params },
      page,
      toSector,
    );
    // The page already holds whole sector rows: later lookups of them by id (a dependency's other
    // end, a cascade path) need no statement of their own.
    for (const sector of connection.nodes) sectorById.prime(sector.id, sector);
    return connection;
  }

  /** Forgets what this request read, after a write of the request (a mutation) changed it. */
  function forget(): void {
    sectorById.clearAll();
    dependenciesOf.clearAll();
    dependentsOf.clearAll();
    dependencyGraph = undefined;
  }

  return { sectorById, dependenciesOf, dependentsOf, cascade, listSectors, forget };
}

export type SectorsStore = ReturnType<typeof createSectorsStore>;
