import {
  byIdLoader,
  fetchPage,
  givenFilters,
  groupLoader,
  readRecord,
  recordColumns,
  sourceColumn,
  type Page,
  type Queryable,
  type RecordRead,
} from '@cip/subgraph-kit';
import type { Source, ThreatFocusAreaFilter } from '../__generated__/resolvers-types.js';
import { threatFocusAreaRecord } from './threatFocusAreaRecord.js';

/** A sector, owned by the sectors office: this office knows only its id. */
export interface SectorRef {
  id: string;
}

/** An agreement, owned by the agreements office: this office knows only its id. */
export interface AgreementRef {
  id: string;
}

/** A focus area as read: its fields (threatFocusAreaRecord.ts), the agreement that names it as a reference. */
export type ThreatFocusAreaRow = Omit<RecordRead<typeof threatFocusAreaRecord>, 'origin'> & {
  id: string;
  origin: { statement: string; namedBy: AgreementRef | null };
  version: number;
  archived: boolean;
};

export interface ThreatAssessmentRow {
  id: string;
  text: string;
  source: Source;
}

const FOCUS_AREA_COLUMNS = `t.id, ${recordColumns(threatFocusAreaRecord, 't')},
  t.version, t.archived_at IS NOT NULL AS archived`;

const toFocusArea = (row: Record<string, unknown>): ThreatFocusAreaRow => {
  const { origin, ...focusArea } = readRecord(threatFocusAreaRecord, row);
  const namedBy = origin.namedById === null ? null : { id: origin.namedById };
  return { ...focusArea, origin: { statement: origin.statement, namedBy } } as ThreatFocusAreaRow;
};

/**
 * Every read of the threat-focus-areas office, batched per request: each loader answers any number
 * of keys with one SQL statement.
 */
export function createThreatFocusAreasStore(db: Queryable) {
  const threatFocusAreaById = byIdLoader(async (ids) =>
    (
      await db.query<Record<string, unknown>>(
        `SELECT ${FOCUS_AREA_COLUMNS} FROM threat_focus_areas.threat_focus_area t WHERE t.id = ANY($1)`,
        [ids],
      )
    ).map(toFocusArea),
  );

  const affectedSectorsOf = groupLoader(
    (focusAreaIds) =>
      db.query<SectorRef & { focusAreaId: string }>(
        `SELECT a.threat_focus_area_id AS "focusAreaId", a.sector_id AS id
         FROM threat_focus_areas.affected_sector a WHERE a.threat_focus_area_id = ANY($1) ORDER BY a.sector_id`,
        [focusAreaIds],
      ),
    (row) => row.focusAreaId,
  );

  /** The focus areas in use that touch each sector: archived ones are left out. */
  const focusAreasOfSector = groupLoader(
    async (sectorIds) =>
      (
        await db.query<Record<string, unknown>>(
          `SELECT a.sector_id AS "sectorId", ${FOCUS_AREA_COLUMNS}
           FROM threat_focus_areas.affected_sector a JOIN threat_focus_areas.threat_focus_area t ON t.id = a.threat_focus_area_id
           WHERE a.sector_id = ANY($1) AND t.archived_at IS NULL ORDER BY t.id`,
          [sectorIds],
        )
      ).map((row) => ({ ...toFocusArea(row), sectorId: row.sectorId as string })),
    (row) => row.sectorId,
  );

  function listThreatFocusAreas(filter: ThreatFocusAreaFilter | null | undefined, page: Page) {
    const { where, params } = givenFilters([
      [filter?.category, (value) => `t.category = ${value}::text`],
      [
        filter?.affectsSector,
        (value) =>
          `t.id IN (SELECT a.threat_focus_area_id FROM threat_focus_areas.affected_sector a WHERE a.sector_id = ${value}::text)`,
      ],
    ]);
    if (filter?.includeArchived !== true) where.push('t.archived_at IS NULL');
    return fetchPage(
      db,
      { sortKey: 't.id', columns: FOCUS_AREA_COLUMNS, from: 'threat_focus_areas.threat_focus_area t', where, params },
      page,
      toFocusArea,
    );
  }

  /** Restricted: the gateway asks for it only for callers with the right scope. */
  const assessmentOf = byIdLoader((focusAreaIds) =>
    db.query<ThreatAssessmentRow>(
      `SELECT s.threat_focus_area_id AS id, s.text, ${sourceColumn('s')}
       FROM threat_focus_areas.assessment s WHERE s.threat_focus_area_id = ANY($1)`,
      [focusAreaIds],
    ),
  );

  return { threatFocusAreaById, affectedSectorsOf, focusAreasOfSector, listThreatFocusAreas, assessmentOf };
}

export type ThreatFocusAreasStore = ReturnType<typeof createThreatFocusAreasStore>;
