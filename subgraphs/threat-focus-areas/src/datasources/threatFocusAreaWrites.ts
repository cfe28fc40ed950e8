import {
  createOnce,
  InputChecks,
  insertRecord,
  invalidInput,
  readAuditEntries,
  recordToColumns,
  updateVersioned,
  writeAudit,
  type AuditReader,
  type Database,
  type IdempotencyKey,
  type Page,
  type Peers,
  type Queryable,
  archiveVersioned,
  isUniqueViolation,
  earlierCreate,
} from '@cip/subgraph-kit';
import {
  threatFocusAreaRecord,
  type NewThreatFocusArea,
  type ThreatFocusAreaChanges,
} from './threatFocusAreaRecord.js';

const { schema: SCHEMA, table: TABLE, entityType: ENTITY } = threatFocusAreaRecord;

/** The offices that own the records a focus area names, as the record spec says. */
const SECTOR = threatFocusAreaRecord.fields.affectedSectorIds.item.references;
const AGREEMENT = threatFocusAreaRecord.fields.origin.fields.namedById.references;

/** What another office says of a record this office names: unknown (null), or known and maybe archived. */
type Referenced = { id: string; archived?: boolean } | null | undefined;

/** Who writes (for the audit log) and the other offices their write is checked with. */
export interface Writer {
  actor: string;
  peers: Peers;
}

async function sectorsOf(tx: Queryable, id: string): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    'SELECT sector_id AS id FROM threat_focus_areas.affected_sector WHERE threat_focus_area_id = $1 ORDER BY sector_id',
    [id],
  );
  return rows.map((row) => row.id);
}

/**
 * Every write of the threat-focus-areas office: each one transaction holding the change and its
 * audit row. A sector is another office's record: checked through the sectors subgraph's entity
 * lookup over HTTP before the transaction opens, never through its tables.
 */
export function createThreatFocusAreaWrites(db: Database) {
  async function update(who: Writer, id: string, expectedVersion: number, fields: ThreatFocusAreaChanges) {
    const set = recordToColumns(threatFocusAreaRecord, fields);
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, { schema: SCHEMA, table: TABLE, id, expectedVersion, set });
      await writeAudit(tx, SCHEMA, { actor: who.actor, action: 'update', entityType: ENTITY, entityId: id, ...change });
    });
  }

  async function changeSectors(
    who: Writer,
    action: 'addSector' | 'removeSector',
    id: string,
    sectorId: string,
    expectedVersion: number,
  ) {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    checks.slug('sectorId', sectorId);
    checks.throwIfInvalid();
    if (action === 'addSector') {
      const [known] = (await who.peers.lookup(SECTOR.office, SECTOR.entity, [sectorId], 'id archived')) as Referenced[];
      if (!known)
        throw invalidInput('sectorId', `the ${SECTOR.office} office knows no ${SECTOR.noun} with the id ${sectorId}`);
      if (known.archived) throw invalidInput('sectorId', `${SECTOR.noun} ${sectorId} is archived: it cannot be linked`);
    }
    await db.transaction(async (tx) => {
      const bumped = await updateVersioned(tx, { schema: SCHEMA, table: TABLE, id, expectedVersion, set: {} });
      const before = await sectorsOf(tx, id);
      if (action === 'addSector') {
        if (before.includes(sectorId)) throw invalidInput('sectorId', `${id} touches ${sectorId} already`);
        await tx.query(
          'INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id) VALUES ($1, $2)',
          [id, sectorId],
        );
      } else {
        if (!before.includes(sectorId)) throw invalidInput('sectorId', `${id} does not touch ${sectorId}`);
        await tx.query(
          'DELETE FROM threat_focus_areas.affected_sector WHERE threat_focus_area_id = $1 AND sector_id = $2',
          [id, sectorId],
        );
      }
      await writeAudit(tx, SCHEMA, {
        actor: who.actor,
        action,
        entityType: ENTITY,
        entityId: id,
        old: { version: bumped.old.version, affectedSectors: before },
        new: { version: bumped.new.version, affectedSectors: await sectorsOf(tx, id) },
      });
    });
  }

  /** Asks the sectors and agreements offices (at once) about the records a new focus area names; lists every bad one. */
  async function checkReferences(peers: Peers, focusArea: NewThreatFocusArea): Promise<void> {
    const namedBy = focusArea.origin.namedById;
    const [sectors, agreements] = await Promise.all([
      peers.lookup(SECTOR.office, SECTOR.entity, focusArea.affectedSectorIds, 'id archived') as Promise<Referenced[]>,
      peers.lookup(AGREEMENT.office, AGREEMENT.entity, namedBy === null ? [] : [namedBy], 'id archived') as Promise<
        Referenced[]
      >,
    ]);
    const checks = new InputChecks();
    focusArea.affectedSectorIds.forEach((sectorId, index) => {
      const sector = sectors[index];
      const path = `input.affectedSectorIds.${index}`;
      if (!sector) checks.add(path, `the ${SECTOR.office} office knows no ${SECTOR.noun} with the id ${sectorId}`);
      else if (sector.archived) checks.add(path, `${SECTOR.noun} ${sectorId} is archived: it cannot be linked`);
    });
    if (namedBy !== null) {
      const [agreement] = agreements;
      const path = 'input.origin.namedById';
      if (!agreement)
        checks.add(path, `the ${AGREEMENT.office} office knows no ${AGREEMENT.noun} with the id ${namedBy}`);
      else if (agreement.archived) checks.add(path, `${AGREEMENT.noun} ${namedBy} is archived`);
    }
    checks.throwIfInvalid();
  }

  /**
   * Creates a focus area with its sectors, once per idempotency key. The other offices are asked
   * before the transaction opens; the focus area, its sectors, the key and the audit row commit together.
   */
  async function create(who: Writer, focusArea: NewThreatFocusArea, idempotencyKey: IdempotencyKey) {
    const operation = { schema: SCHEMA, operation: 'createThreatFocusArea', key: idempotencyKey, input: focusArea };
    const earlier = await earlierCreate(db, operation);
    if (earlier !== null) return { id: earlier, replayed: true };
    await checkReferences(who.peers, focusArea);
    const created = db.transaction((tx) =>
      createOnce(tx, operation, async () => {
        const [taken] = await tx.query('SELECT 1 FROM threat_focus_areas.threat_focus_area WHERE id = $1', [
          focusArea.id,
        ]);
        if (taken) throw invalidInput('input.id', `a threat focus area with the id ${focusArea.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, TABLE, {
          id: focusArea.id,
          ...recordToColumns(threatFocusAreaRecord, focusArea),
        });
        await tx.query(
          `INSERT INTO threat_focus_areas.affected_sector (threat_focus_area_id, sector_id)
           SELECT $1, unnest($2::text[])`,
          [focusArea.id, focusArea.affectedSectorIds],
        );
        await writeAudit(tx, SCHEMA, {
          actor: who.actor,
          action: 'create',
          entityType: ENTITY,
          entityId: focusArea.id,
          old: null,
          new: { ...row, affectedSectors: await sectorsOf(tx, focusArea.id) },
        });
        return focusArea.id;
      }),
    );
    // Two creates of the same id racing past the check above: the primary key refuses the second.
    return created.catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw invalidInput('input.id', `a threat focus area with the id ${focusArea.id} exists already`);
      }
      throw error;
    });
  }

  /** Archives a focus area: kept (agreements refer to it), left out of lists. */
  async function archive(who: Writer, id: string, expectedVersion: number) {
    await db.transaction(async (tx) => {
      const change = await archiveVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
        id,
        expectedVersion,
        label: 'threat focus area',
      });
      await writeAudit(tx, SCHEMA, {
        actor: who.actor,
        action: 'archive',
        entityType: ENTITY,
        entityId: id,
        ...change,
      });
    });
  }

  /** One page of the audit log (one focus area's when given), as `reader` may see it. */
  function auditLog(focusAreaId: string | null | undefined, page: Page, reader: AuditReader) {
    return readAuditEntries(
      db,
      SCHEMA,
      { entityType: ENTITY, entityId: focusAreaId },
      page,
      'threatFocusAreaId',
      reader,
    );
  }

  return { create, update, archive, changeSectors, auditLog };
}

export type ThreatFocusAreaWrites = ReturnType<typeof createThreatFocusAreaWrites>;
