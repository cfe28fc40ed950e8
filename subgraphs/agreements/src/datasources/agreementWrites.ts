import {
  createOnce,
  InputChecks,
  insertRecord,
  invalidInput,
  readAuditEntries,
  updateVersioned,
  writeAudit,
  type Database,
  type Page,
  type Peers,
  type Queryable,
  archiveVersioned,
  isUniqueViolation,
  earlierCreate,
} from '@cip/subgraph-kit';
import type { UpdateAgreementInput } from '../__generated__/resolvers-types.js';
import { checkSigned, MAX_PARTIES, MIN_PARTIES, type NewAgreement } from './agreementInput.js';

const SCHEMA = 'agreements';
const ENTITY = 'Agreement';

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
    selection: 'id archived',
    argument: 'threatFocusAreaId',
    noun: 'threat focus area',
    audited: 'threatFocusAreas',
  },
  sector: {
    table: 'agreement_sector',
    column: 'sector_id',
    subgraph: 'sectors',
    typename: 'Sector',
    selection: 'id archived',
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
    for (const name of ['title', 'purpose', 'kind', 'scope'] as const) {
      if (input[name] === null) checks.add(`input.${name}`, 'cannot be null: leave the field out to keep its value');
    }
    if (input.title != null) set.title = checks.text('input.title', input.title, { max: 300 });
    if (input.purpose != null) set.purpose = checks.text('input.purpose', input.purpose, { max: 2000 });
    if (input.shortTitle !== undefined) {
      set.short_title =
        input.shortTitle === null ? null : checks.text('input.shortTitle', input.shortTitle, { max: 60 });
    }
    if (input.kind != null) set.kind = input.kind;
    if (input.scope != null) set.scope = input.scope;
    if (input.signed !== undefined) {
      const signed = input.signed === null ? null : checkSigned(checks, 'input.signed', input.signed);
      set.signed_year = signed?.year ?? null;
      set.signed_month = signed?.month ?? null;
    }
    if (Object.keys(input).length === 0) checks.add('input', 'name at least one field to change');
    checks.throwIfInvalid();
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, { schema: SCHEMA, table: 'agreement', id, expectedVersion, set });
      // Checked under the agreement's row lock: a party added meanwhile waits for this transaction.
      const maxParties = input.scope != null ? MAX_PARTIES[input.scope] : undefined;
      const parties = maxParties === undefined ? [] : await linksOf(tx, 'party', id);
      if (maxParties !== undefined && parties.length > maxParties) {
        throw invalidInput(
          'input.scope',
          `a ${input.scope!.toLowerCase()} agreement binds at most ${maxParties} parties, and this one has ${parties.length}: remove parties first`,
        );
      }
      await writeAudit(tx, SCHEMA, { actor, action: 'update', entityType: ENTITY, entityId: id, ...change });
    });
  }

  /**
   * Asks each office about the records a new agreement links, the three offices at once, and lists
   * every unknown or archived one (`input.partyIds.2`), and a party list without the home party.
   */
  async function checkReferences(peers: Peers, agreement: NewAgreement): Promise<void> {
    const references = [
      { kind: 'party', path: 'input.partyIds', ids: agreement.partyIds },
      { kind: 'threatFocusArea', path: 'input.threatFocusAreaIds', ids: agreement.threatFocusAreaIds },
      { kind: 'sector', path: 'input.sectorIds', ids: agreement.sectorIds },
    ] as const;
    const found = await Promise.all(
      references.map(({ kind, ids }) => {
        const link = LINKS[kind];
        return peers.lookup(link.subgraph, link.typename, ids, link.selection);
      }),
    );
    const checks = new InputChecks();
    references.forEach(({ kind, path, ids }, position) => {
      const link = LINKS[kind];
      ids.forEach((id, index) => {
        const record = found[position]![index] as Referenced | null | undefined;
        if (!record)
          checks.add(`${path}.${index}`, `the ${link.subgraph} office knows no ${link.noun} with the id ${id}`);
        else if (record.archived) checks.add(`${path}.${index}`, `${link.noun} ${id} is archived: it cannot be linked`);
      });
    });
    const parties = found[0]! as (Referenced | null)[];
    if (!parties.some((party) => party?.homeParty)) {
      checks.add('input.partyIds', 'the home party (the United States) is a party to every agreement');
    }
    checks.throwIfInvalid();
  }

  /**
   * Creates an agreement with its links, once per idempotency key. The other offices are asked
   * before the transaction opens; the agreement, its links, the key and the audit row commit together.
   */
  async function create(who: Writer, agreement: NewAgreement, idempotencyKey: string | null | undefined) {
    const operation = { schema: SCHEMA, operation: 'createAgreement', key: idempotencyKey, input: agreement };
    const earlier = await earlierCreate(db, operation);
    if (earlier !== null) return { id: earlier, replayed: true };
    await checkReferences(who.peers, agreement);
    const created = db.transaction((tx) =>
      createOnce(tx, operation, async () => {
        const [taken] = await tx.query('SELECT 1 FROM agreements.agreement WHERE id = $1', [agreement.id]);
        if (taken) throw invalidInput('input.id', `an agreement with the id ${agreement.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, 'agreement', {
          id: agreement.id,
          title: agreement.title,
          short_title: agreement.shortTitle,
          kind: agreement.kind,
          scope: agreement.scope,
          signed_year: agreement.signedYear,
          signed_month: agreement.signedMonth,
          purpose: agreement.purpose,
          source_document: agreement.source.document,
          source_section: agreement.source.section,
          source_basis: agreement.source.basis,
        });
        const linked: Record<string, string[]> = {};
        for (const [kind, ids] of [
          ['party', agreement.partyIds],
          ['threatFocusArea', agreement.threatFocusAreaIds],
          ['sector', agreement.sectorIds],
        ] as const) {
          const { table, column, audited } = LINKS[kind];
          await tx.query(`INSERT INTO agreements.${table} (agreement_id, ${column}) SELECT $1, unnest($2::text[])`, [
            agreement.id,
            ids,
          ]);
          linked[audited] = await linksOf(tx, kind, agreement.id);
        }
        await writeAudit(tx, SCHEMA, {
          actor: who.actor,
          action: 'create',
          entityType: ENTITY,
          entityId: agreement.id,
          old: null,
          new: { ...row, ...linked },
        });
        return agreement.id;
      }),
    );
    // Two creates of the same id racing past the check above: the primary key refuses the second.
    return created.catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw invalidInput('input.id', `an agreement with the id ${agreement.id} exists already`);
      }
      throw error;
    });
  }

  /** Archives an agreement: kept (other offices refer to it), left out of lists. */
  async function archive(actor: string, id: string, expectedVersion: number) {
    await db.transaction(async (tx) => {
      const change = await archiveVersioned(tx, {
        schema: SCHEMA,
        table: 'agreement',
        id,
        expectedVersion,
        label: 'agreement',
      });
      await writeAudit(tx, SCHEMA, { actor, action: 'archive', entityType: ENTITY, entityId: id, ...change });
    });
  }

  function auditLog(agreementId: string | null | undefined, page: Page) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: agreementId }, page, 'agreementId');
  }

  return { create, update, archive, add, remove, auditLog };
}

export type AgreementWrites = ReturnType<typeof createAgreementWrites>;
