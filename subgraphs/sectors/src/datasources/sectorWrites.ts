import {
  checkRecordFields,
  createOnce,
  InputChecks,
  insertRecord,
  invalidInput,
  knownLocally,
  readAuditEntries,
  recordToColumns,
  updateVersioned,
  writeAudit,
  type AuditReader,
  type Database,
  type IdempotencyKey,
  type Page,
  type Queryable,
  type RecordRow,
  archiveVersioned,
  isUniqueViolation,
} from '@cip/subgraph-kit';
import type { SectorDependencyInput } from '../__generated__/resolvers-types.js';
import {
  sectorDependencyRecord,
  sectorRecord,
  type AgencyAssignment,
  type NewSector,
  type SectorChanges,
} from './sectorRecord.js';

const { schema: SCHEMA, table: TABLE, entityType: ENTITY } = sectorRecord;

function agenciesOf(tx: Queryable, sectorId: string): Promise<AgencyAssignment[]> {
  return tx.query<AgencyAssignment>(
    'SELECT abbreviation, scope FROM sectors.sector_agency WHERE sector_id = $1 ORDER BY position',
    [sectorId],
  );
}

/** Replaces a sector's agencies, in order; each must be an agency this office knows (`input.agencies.<index>`). */
async function assignAgencies(tx: Queryable, sectorId: string, agencies: readonly AgencyAssignment[]): Promise<void> {
  const abbreviations = agencies.map((agency) => agency.abbreviation);
  const { references } = sectorRecord.fields.agencies.item.fields.abbreviation;
  const knownAbbreviations = await knownLocally(tx, SCHEMA, references, abbreviations);
  const checks = new InputChecks();
  abbreviations.forEach((abbreviation, index) => {
    if (!knownAbbreviations.has(abbreviation)) {
      checks.add(`input.agencies.${index}.abbreviation`, `no agency has the abbreviation ${abbreviation}`);
    }
  });
  checks.throwIfInvalid();
  await tx.query('DELETE FROM sectors.sector_agency WHERE sector_id = $1', [sectorId]);
  await tx.query(
    `INSERT INTO sectors.sector_agency (sector_id, abbreviation, scope, position)
     SELECT $1, t.abbreviation, t.scope, t.position::int
     FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(abbreviation, scope, position)`,
    [sectorId, abbreviations, agencies.map((agency) => agency.scope)],
  );
}

async function dependenciesOf(tx: Queryable, sectorId: string): Promise<string[]> {
  const rows = await tx.query<{ id: string }>(
    'SELECT dependency_id AS id FROM sectors.dependency WHERE dependent_id = $1 ORDER BY dependency_id',
    [sectorId],
  );
  return rows.map((row) => row.id);
}

/**
 * Every write of the sectors office: each one transaction holding the change and its audit row. A
 * dependency belongs to its dependent sector: that sector's version is checked and bumped.
 */
export function createSectorWrites(db: Database) {
  async function changeDependencies(
    actor: string,
    action: 'addDependency' | 'removeDependency',
    sectorId: string,
    expectedVersion: number,
    change: (tx: Queryable, dependsOn: string[], sector: RecordRow) => Promise<void>,
    /**
     * The other sector of the change, locked with this one in id order before anything else: an
     * archive of it waits for this change (and then sees the dependency) or the reverse, and two
     * changes that each lock both sectors cannot deadlock.
     */
    otherSectorId?: string,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      if (otherSectorId !== undefined) {
        await tx.query('SELECT id FROM sectors.sector WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [
          [sectorId, otherSectorId],
        ]);
      }
      const bumped = await updateVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
        id: sectorId,
        expectedVersion,
        set: {},
        idField: 'sectorId',
      });
      const before = await dependenciesOf(tx, sectorId);
      await change(tx, before, bumped.old);
      await writeAudit(tx, SCHEMA, {
        actor,
        action,
        entityType: ENTITY,
        entityId: sectorId,
        old: { version: bumped.old.version, dependsOn: before },
        new: { version: bumped.new.version, dependsOn: await dependenciesOf(tx, sectorId) },
      });
    });
  }

  async function addDependency(
    actor: string,
    sectorId: string,
    dependsOnId: string,
    expectedVersion: number,
    input: SectorDependencyInput,
  ) {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    if (dependsOnId === sectorId) checks.add('dependsOnId', 'a sector cannot depend on itself');
    const dependency = checkRecordFields(sectorDependencyRecord, input, checks);
    checks.throwIfInvalid();
    await changeDependencies(
      actor,
      'addDependency',
      sectorId,
      expectedVersion,
      async (tx, dependsOn, sector) => {
        if (sector.archived_at !== null) throw invalidInput('sectorId', `sector ${sectorId} is archived`);
        if (dependsOn.includes(dependsOnId))
          throw invalidInput('dependsOnId', `${sectorId} depends on ${dependsOnId} already`);
        const [known] = await tx.query<{ archived: boolean }>(
          'SELECT archived_at IS NOT NULL AS archived FROM sectors.sector WHERE id = $1',
          [dependsOnId],
        );
        if (!known) throw invalidInput('dependsOnId', `no sector has the id ${dependsOnId}`);
        if (known.archived) throw invalidInput('dependsOnId', `sector ${dependsOnId} is archived`);
        await insertRecord(tx, SCHEMA, sectorDependencyRecord.table, {
          dependent_id: sectorId,
          dependency_id: dependsOnId,
          ...recordToColumns(sectorDependencyRecord, dependency),
        });
      },
      dependsOnId,
    );
  }

  async function removeDependency(actor: string, sectorId: string, dependsOnId: string, expectedVersion: number) {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    checks.throwIfInvalid();
    await changeDependencies(actor, 'removeDependency', sectorId, expectedVersion, async (tx, dependsOn) => {
      if (!dependsOn.includes(dependsOnId)) {
        throw invalidInput('dependsOnId', `${sectorId} does not depend on ${dependsOnId}`);
      }
      await tx.query('DELETE FROM sectors.dependency WHERE dependent_id = $1 AND dependency_id = $2', [
        sectorId,
        dependsOnId,
      ]);
    });
  }

  async function create(actor: string, sector: NewSector, idempotencyKey: IdempotencyKey) {
    const created = db.transaction((tx) =>
      createOnce(tx, { schema: SCHEMA, operation: 'createSector', key: idempotencyKey, input: sector }, async () => {
        const [taken] = await tx.query('SELECT 1 FROM sectors.sector WHERE id = $1', [sector.id]);
        if (taken) throw invalidInput('input.id', `a sector with the id ${sector.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, TABLE, { id: sector.id, ...recordToColumns(sectorRecord, sector) });
        await assignAgencies(tx, sector.id, sector.agencies);
        await writeAudit(tx, SCHEMA, {
          actor,
          action: 'create',
          entityType: ENTITY,
          entityId: sector.id,
          old: null,
          new: { ...row, agencies: await agenciesOf(tx, sector.id) },
        });
        return sector.id;
      }),
    );
    // Two creates of the same id racing past the check above: the primary key refuses the second.
    return created.catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw invalidInput('input.id', `a sector with the id ${sector.id} exists already`);
      }
      throw error;
    });
  }

  /** Changes a sector's own fields; its agencies, when given, are replaced as a whole. */
  async function update(actor: string, id: string, expectedVersion: number, fields: SectorChanges) {
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
        id,
        expectedVersion,
        set: recordToColumns(sectorRecord, fields),
      });
      const before = await agenciesOf(tx, id);
      if (fields.agencies !== undefined) await assignAgencies(tx, id, fields.agencies);
      await writeAudit(tx, SCHEMA, {
        actor,
        action: 'update',
        entityType: ENTITY,
        entityId: id,
        old: { ...change.old, agencies: before },
        new: { ...change.new, agencies: await agenciesOf(tx, id) },
      });
    });
  }

  /**
   * Archives a sector with no dependencies either way, so the dependency graph (and every cascade)
   * holds only sectors in use.
   */
  async function archive(actor: string, id: string, expectedVersion: number) {
    await db.transaction(async (tx) => {
      const change = await archiveVersioned(tx, {
        schema: SCHEMA,
        table: TABLE,
        id,
        expectedVersion,
        label: 'sector',
      });
      const linked = await tx.query<{ id: string }>(
        `SELECT dependency_id AS id FROM sectors.dependency WHERE dependent_id = $1
         UNION SELECT dependent_id FROM sectors.dependency WHERE dependency_id = $1 ORDER BY id`,
        [id],
      );
      if (linked.length > 0) {
        const ids = linked.map((row) => row.id).join(', ');
        throw invalidInput('id', `sector ${id} has dependencies with ${ids}: remove them first`);
      }
      await writeAudit(tx, SCHEMA, { actor, action: 'archive', entityType: ENTITY, entityId: id, ...change });
    });
  }

  /** One page of the audit log (one sector's when given), as `reader` may see it. */
  function auditLog(sectorId: string | null | undefined, page: Page, reader: AuditReader) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: sectorId }, page, 'sectorId', reader);
  }

  return { create, update, archive, addDependency, removeDependency, auditLog };
}

export type SectorWrites = ReturnType<typeof createSectorWrites>;
