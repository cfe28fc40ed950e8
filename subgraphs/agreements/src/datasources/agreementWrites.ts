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
  type PeerReference,
  type Peers,
  type Queryable,
  archiveVersioned,
  isUniqueViolation,
  earlierCreate,
} from '@cip/subgraph-kit';
import {
  agreementRecord,
  MAX_PARTIES,
  MIN_PARTIES,
  type AgreementChanges,
  type NewAgreement,
} from './agreementRecord.js';

const { schema: SCHEMA, table: TABLE, entityType: ENTITY } = agreementRecord;

/**
 * The records of other offices an agreement links to: the field of the record spec that lists
 * them (which gives their child table and the office that owns them), the argument that names one
 * in the add and remove mutations, and the name the audit log lists them under.
 */
const LINK_FIELDS = {
  party: { field: 'partyIds', argument: 'partnerId', audited: 'parties' },
  threatFocusArea: { field: 'threatFocusAreaIds', argument: 'threatFocusAreaId', audited: 'threatFocusAreas' },
  sector: { field: 'sectorIds', argument: 'sectorId', audited: 'sectors' },
} as const;

function linkOf(kind: keyof typeof LINK_FIELDS) {
  const { field, argument, audited } = LINK_FIELDS[kind];
  const { table, item } = agreementRecord.fields[field];
  const reference: PeerReference = item.references;
  return {
    ...table,
    subgraph: reference.office,
    typename: reference.entity,
    selection: reference.selection ?? 'id archived',
    noun: reference.noun,
    field,
    argument,
    audited,
  };
}

const LINKS = { party: linkOf('party'), threatFocusArea: linkOf('threatFocusArea'), sector: linkOf('sector') };

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
  const { table, parent, column } = LINKS[kind];
  const rows = await tx.query<{ id: string }>(
    `SELECT ${column} AS id FROM agreements.${table} WHERE ${parent} = $1 ORDER BY ${column}`,
    [agreementId],
  );
  return rows.map((row) => row.id);
}

/**
 * What an idempotency key's request hash is taken of: the checked create, its signing date as the
 * two fields it was hashed as before the record spec, so a key kept from then still matches.
 */
function hashed({ signed, ...agreement }: NewAgreement) {
  return { ...agreement, signedYear: signed?.year ?? null, signedMonth: signed?.month ?? null };
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
        table: TABLE,
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
      await tx.query(`INSERT INTO agreements.${link.table} (${link.parent}, ${link.column}) VALUES ($1, $2)`, [
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
      await tx.query(`DELETE FROM agreements.${link.table} WHERE ${link.parent} = $1 AND ${link.column} = $2`, [
        agreementId,
        id,
      ]);
    });
  }

  async function update(actor: string, id: string, expectedVersion: number, fields: AgreementChanges) {
    const set = recordToColumns(agreementRecord, fields);
    await db.transaction(async (tx) => {
      const change = await updateVersioned(tx, { schema: SCHEMA, table: TABLE, id, expectedVersion, set });
      // Checked under the agreement's row lock: a party added meanwhile waits for this transaction.
      const maxParties = fields.scope !== undefined ? MAX_PARTIES[fields.scope] : undefined;
      const parties = maxParties === undefined ? [] : await linksOf(tx, 'party', id);
      if (maxParties !== undefined && parties.length > maxParties) {
        throw invalidInput(
          'input.scope',
          `a ${fields.scope!.toLowerCase()} agreement binds at most ${maxParties} parties, and this one has ${parties.length}: remove parties first`,
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
    const references = (['party', 'threatFocusArea', 'sector'] as const).map((kind) => ({
      kind,
      path: `input.${LINKS[kind].field}`,
      ids: agreement[LINKS[kind].field],
    }));
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
  async function create(who: Writer, agreement: NewAgreement, idempotencyKey: IdempotencyKey) {
    const operation = { schema: SCHEMA, operation: 'createAgreement', key: idempotencyKey, input: hashed(agreement) };
    const earlier = await earlierCreate(db, operation);
    if (earlier !== null) return { id: earlier, replayed: true };
    await checkReferences(who.peers, agreement);
    const created = db.transaction((tx) =>
      createOnce(tx, operation, async () => {
        const [taken] = await tx.query('SELECT 1 FROM agreements.agreement WHERE id = $1', [agreement.id]);
        if (taken) throw invalidInput('input.id', `an agreement with the id ${agreement.id} exists already`);
        const row = await insertRecord(tx, SCHEMA, TABLE, {
          id: agreement.id,
          ...recordToColumns(agreementRecord, agreement),
        });
        const linked: Record<string, string[]> = {};
        for (const kind of ['party', 'threatFocusArea', 'sector'] as const) {
          const { table, parent, column, field, audited } = LINKS[kind];
          await tx.query(`INSERT INTO agreements.${table} (${parent}, ${column}) SELECT $1, unnest($2::text[])`, [
            agreement.id,
            agreement[field],
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
        table: TABLE,
        id,
        expectedVersion,
        label: 'agreement',
      });
      await writeAudit(tx, SCHEMA, { actor, action: 'archive', entityType: ENTITY, entityId: id, ...change });
    });
  }

  /** One page of the audit log (one agreement's when given), as `reader` may see it. */
  function auditLog(agreementId: string | null | undefined, page: Page, reader: AuditReader) {
    return readAuditEntries(db, SCHEMA, { entityType: ENTITY, entityId: agreementId }, page, 'agreementId', reader);
  }

  return { create, update, archive, add, remove, auditLog };
}

export type AgreementWrites = ReturnType<typeof createAgreementWrites>;
