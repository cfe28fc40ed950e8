import {
  InputChecks,
  invalidInput,
  readAuditEntries,
  updateVersioned,
  writeAudit,
  type Database,
  type Page,
  type Peers,
  type Queryable,
} from '@cip/subgraph-kit';
import type { UpdateThreatFocusAreaInput } from '../__generated__/resolvers-types.js';

const SCHEMA = 'threat_focus_areas';
const TABLE = 'threat_focus_area';
const ENTITY = 'ThreatFocusArea';

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
  async function update(who: Writer, id: string, expectedVersion: number, input: UpdateThreatFocusAreaInput) {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    const set: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      if (value === null) checks.add(`input.${name}`, 'cannot be null: leave the field out to keep its value');
    }
    if (input.name != null) set.name = checks.text('input.name', input.name);
    if (input.description != null) set.description = checks.text('input.description', input.description, { max: 2000 });
    if (Object.keys(input).length === 0) checks.add('input', 'name at least one field to change');
    checks.throwIfInvalid();
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
      const [known] = await who.peers.lookup('sectors', 'Sector', [sectorId], 'id');
      if (!known) throw invalidInput('sectorId', `the sectors office knows no sector with the id ${sectorId}`);
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

  function auditLog(focusAreaId: string | null | undefined, page: Page) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: focusAreaId }, page, 'threatFocusAreaId');
  }

  return { update, changeSectors, auditLog };
}

export type ThreatFocusAreaWrites = ReturnType<typeof createThreatFocusAreaWrites>;
