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
import type { UpdateAgreementInput } from '../__generated__/resolvers-types.js';

const SCHEMA = 'agreements';
const ENTITY = 'Agreement';

/** How many parties an agreement of each scope may bind; a multilateral one, any number. */
const MAX_PARTIES: Record<string, number> = { BILATERAL: 2, TRILATERAL: 3 };
const MIN_PARTIES = 2;

/**
 * The records of other offices an agreement links to: where the links are stored, which office
 * owns the record (asked through its entity lookup), and the argument that names it.
 */
const LINKS = {
  party: {
    table: 'agreement_party',
    column: 'partner_id',
    subgraph: 'partners',
    typename: 'Partner',
    selection: 'id archived homeParty',
    argument: 'partnerId',
    noun: 'partner',
    audited: 'parties',
  },
  threatFocusArea: {
    table: 'agreement_threat_focus_area',
    column: 'threat_focus_area_id',
    subgraph: 'threat-focus-areas',
    typename: 'ThreatFocusArea',
    selection: 'id',
    argument: 'threatFocusAreaId',
    noun: 'threat focus area',
    audited: 'threatFocusAreas',
  },
  sector: {
    table: 'agreement_sector',
    column: 'sector_id',
    subgraph: 'sectors',
    typename: 'Sector',
    selection: 'id',
    argument: 'sectorId',
    noun: 'sector',
    audited: 'sectors',
  },
} as const;

export type LinkKind = keyof typeof LINKS;

interface Referenced {
  id: string;
  archived?: boolean;
  homeParty?: boolean;
}

/** Who writes (for the audit log) and the other offices their write is checked with. */
export interface Writer {
  actor: string;
  peers: Peers;
}

async function linksOf(tx: Queryable, kind: LinkKind, agreementId: string): Promise<string[]> {
  const { table, column } = LINKS[kind];
  const rows = await tx.query<{ id: string }>(
    `SELECT ${column} AS id FROM agreements.${table} WHERE agreement_id = $1 ORDER BY ${column}`,
    [agreementId],
  );
  return rows.map((row) => row.id);
}

/**
 * Every write of the agreements office: each one transaction holding the change and its audit row.
 * A linked record (a party, a focus area, a sector) must be one its office knows: asked through that
 * office's entity lookup over HTTP (never its tables), before the transaction opens, so no row lock
 * waits on another office.
 */
export function createAgreementWrites(db: Database) {
  async function lookUp(peers: Peers, kind: LinkKind, id: string): Promise<Referenced | null> {
    const link = LINKS[kind];
    const [found] = await peers.lookup(link.subgraph, link.typename, [id], link.selection);
    return (found as Referenced | null | undefined) ?? null;
  }

  function checkArguments(kind: LinkKind, id: string, expectedVersion: number): void {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    checks.slug(LINKS[kind].argument, id);
    checks.throwIfInvalid();
  }

  async function changeLinks(
    actor: string,
    kind: LinkKind,
    action: 'add' | 'remove',
    agreementId: string,
    expectedVersion: number,
    change: (tx: Queryable, scope: string, linked: string[]) => Promise<void>,
  ): Promise<void> {
    const link = LINKS[kind];
    await db.transaction(async (tx) => {
      // An empty change still bumps the version: the links are part of the agreement's state.
      const bumped = await updateVersioned(tx, {
        schema: SCHEMA,
        table: 'agreement',
        id: agreementId,
        expectedVersion,
        set: {},
        idField: 'agreementId',
      });
      const before = await linksOf(tx, kind, agreementId);
      await change(tx, String(bumped.old.scope), before);
      const after = await linksOf(tx, kind, agreementId);
      await writeAudit(tx, SCHEMA, {
        actor,
        action: `${action}${kind[0]!.toUpperCase()}${kind.slice(1)}`,
        entityType: ENTITY,
        entityId: agreementId,
        old: { version: bumped.old.version, [link.audited]: before },
        new: { version: bumped.new.version, [link.audited]: after },
      });
    });
  }

  /** Links `id` (a record of the office `kind` names, asked through `peers`) to the agreement. */
  async function add(who: Writer, kind: LinkKind, agreementId: string, id: string, expectedVersion: number) {
    const link = LINKS[kind];
    checkArguments(kind, id, expectedVersion);
    const known = await lookUp(who.peers, kind, id);
    if (!known)
      throw invalidInput(link.argument, `the ${link.subgraph} office knows no ${link.noun} with the id ${id}`);
    if (known.archived) throw invalidInput(link.argument, `${link.noun} ${id} is archived: it cannot be linked`);
    await changeLinks(who.actor, kind, 'add', agreementId, expectedVersion, async (tx, scope, linked) => {
      if (linked.includes(id)) throw invalidInput(link.argument, `${id} is linked to this agreement already`);
      const max = MAX_PARTIES[scope];
      if (kind === 'party' && max !== undefined && linked.length >= max) {
        throw invalidInput(link.argument, `a ${scope.toLowerCase()} agreement binds at most ${max} parties`);
      }
      await tx.query(`INSERT INTO agreements.${link.table} (agreement_id, ${link.column}) VALUES ($1, $2)`, [
        agreementId,
        id,
      ]);
    });
  }

  async function remove(who: Writer, kind: LinkKind, agreementId: string, id: string, expectedVersion: number) {
    const link = LINKS[kind];
    checkArguments(kind, id, expectedVersion);
    if (kind === 'party' && (await lookUp(who.peers, kind, id))?.homeParty) {
      throw invalidInput(link.argument, 'the home party is a party to every agreement');
    }
    await changeLinks(who.actor, kind, 'remove', agreementId, expectedVersion, async (tx, _scope, linked) => {
      if (!linked.includes(id)) throw invalidInput(link.argument, `${id} is not linked to this agreement`);
      if (kind === 'party' && linked.length <= MIN_PARTIES) {
        throw invalidInput(link.argument, `an agreement keeps at least ${MIN_PARTIES} parties`);
      }
      await tx.query(`DELETE FROM agreements.${link.table} WHERE agreement_id = $1 AND ${link.column} = $2`, [
        agreementId,
        id,
      ]);
    });
  }

  async function update(actor: string, id: string, expectedVersion: number, input: UpdateAgreementInput) {
    const checks = new InputChecks();
    checks.version('expectedVersion', expectedVersion);
    const set: Record<string, unknown> = {};
    for (const name of ['title', 'purpose'] as const) {
      if (input[name] === null) checks.add(`input.${name}`, 'cannot be null: leave the field out to keep its value');
    }
    if (input.title != null) set.title = checks.text('input.title', input.title, { max: 300 });
    if (input.purpose != null) set.purpose = checks.text('input.purpose', input.purpose, { max: 2000 });
    if (input.shortTitle !== undefined) {
      set.short_title =
        input.shortTitle === null ? null : checks.text('input.shortTitle', input.shortTitle, { max: 60 });
    }
    if (Object.keys(input).length === 0) checks.add('input', 'name at least one field to change');
    checks.throwIfInvalid();
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, { schema: SCHEMA, table: 'agreement', id, expectedVersion, set });
      await writeAudit(tx, SCHEMA, { actor, action: 'update', entityType: ENTITY, entityId: id, ...change });
    });
  }

  function auditLog(agreementId: string | null | undefined, page: Page) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: agreementId }, page, 'agreementId');
  }

  return { update, add, remove, auditLog };
}

export type AgreementWrites = ReturnType<typeof createAgreementWrites>;
