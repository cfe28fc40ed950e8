import {
  InputChecks,
  invalidInput,
  readAuditEntries,
  updateVersioned,
  writeAudit,
  type Database,
  type Page,
  type Queryable,
} from '@cip/subgraph-kit';
import type { SectorDependencyInput } from '../__generated__/resolvers-types.js';

const SCHEMA = 'sectors';
const ENTITY = 'Sector';

/** A sector's own facts must be facts: placeholders are seeded data, never entered. */
const ENTERED_BASES = new Set(['STATED_IN_TEXT', 'PUBLIC_KNOWLEDGE']);

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
    change: (tx: Queryable, dependsOn: string[]) => Promise<void>,
  ): Promise<void> {
    await db.transaction(async (tx) => {
      const bumped = await updateVersioned(tx, {
        schema: SCHEMA,
        table: 'sector',
        id: sectorId,
        expectedVersion,
        set: {},
        idField: 'sectorId',
      });
      const before = await dependenciesOf(tx, sectorId);
      await change(tx, before);
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
    const document = checks.text('input.source.document', input.source.document, { max: 300 });
    const section = checks.text('input.source.section', input.source.section, { max: 300 });
    if (!ENTERED_BASES.has(input.source.basis)) {
      checks.add('input.source.basis', 'must be STATED_IN_TEXT or PUBLIC_KNOWLEDGE');
    }
    checks.throwIfInvalid();
    await changeDependencies(actor, 'addDependency', sectorId, expectedVersion, async (tx, dependsOn) => {
      if (dependsOn.includes(dependsOnId))
        throw invalidInput('dependsOnId', `${sectorId} depends on ${dependsOnId} already`);
      const [known] = await tx.query('SELECT 1 FROM sectors.sector WHERE id = $1', [dependsOnId]);
      if (!known) throw invalidInput('dependsOnId', `no sector has the id ${dependsOnId}`);
      await tx.query(
        `INSERT INTO sectors.dependency (dependent_id, dependency_id, degree, source_document, source_section, source_basis)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [sectorId, dependsOnId, input.degree ?? null, document, section, input.source.basis],
      );
    });
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

  function auditLog(sectorId: string | null | undefined, page: Page) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: sectorId }, page, 'sectorId');
  }

  return { addDependency, removeDependency, auditLog };
}

export type SectorWrites = ReturnType<typeof createSectorWrites>;
