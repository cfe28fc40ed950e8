import { writeAudit } from '@cip/subgraph-kit';
import {
  buildTestSubgraph,
  describeEachStore,
  expectKeysKeptToTheirCaller,
  signedIn,
  type TestSubgraph,
} from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PartnersContext } from '../context.js';
import { partnersSubgraph } from '../server.js';

const SOURCE = { document: 'Office register', section: 'Partners added in review', basis: 'PUBLIC_KNOWLEDGE' };
const newPartner = (id: string) => ({
  id,
  name: `Partner ${id}`,
  shortName: id.toUpperCase(),
  kind: 'COUNTRY',
  region: 'Oceania',
  source: SOURCE,
});

const FIELDS = 'id name shortName region version archived source { basis }';
const CREATE = `mutation ($input: CreatePartnerInput!, $key: String) {
  createPartner(input: $input, idempotencyKey: $key) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdatePartnerInput!) {
  updatePartner(id: $id, expectedVersion: $version, input: $input) { ${FIELDS} } }`;
const ARCHIVE = `mutation ($id: ID!, $version: Int!) { archivePartner(id: $id, expectedVersion: $version) { ${FIELDS} } }`;
const AUDIT = `query ($id: ID) { partnerAuditLog(partnerId: $id, first: 100) {
  totalCount nodes { actor action partnerId oldValues newValues } } }`;

interface AuditNode {
  actor: string;
  action: string;
  partnerId: string;
  oldValues: string | null;
  newValues: string | null;
}

describeEachStore('partners mutations on $kind', (store) => {
  let subgraph: TestSubgraph<PartnersContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(partnersSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const auditOf = async (id: string) => {
    const result = await subgraph.execute(AUDIT, { id });
    expect(result.errors).toBeUndefined();
    return (result.data?.partnerAuditLog as { nodes: AuditNode[] }).nodes;
  };
  const read = async (id: string) =>
    (await subgraph.execute(`query ($id: ID!) { partner(id: $id) { ${FIELDS} } }`, { id })).data?.partner;

  it('creates a partner at version 1, not archived, with an audit row', async () => {
    const result = await subgraph.execute(CREATE, { input: newPartner('tuvalu') });
    expect(result).toEqual({
      data: {
        createPartner: {
          id: 'tuvalu',
          name: 'Partner tuvalu',
          shortName: 'TUVALU',
          region: 'Oceania',
          version: 1,
          archived: false,
          source: { basis: 'PUBLIC_KNOWLEDGE' },
        },
      },
    });
    const audit = await auditOf('tuvalu');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'anonymous', action: 'create', partnerId: 'tuvalu', oldValues: null });
    expect(JSON.parse(audit[0]!.newValues!)).toMatchObject({ id: 'tuvalu', name: 'Partner tuvalu', version: 1 });
  });

  it('creates once for the same idempotency key and returns the same partner twice', async () => {
    const first = await subgraph.execute(CREATE, { input: newPartner('fiji'), key: 'create-fiji-1' });
    const again = await subgraph.execute(CREATE, { input: newPartner('fiji'), key: 'create-fiji-1' });
    expect(first.errors).toBeUndefined();
    expect(again).toEqual(first);
    expect(await auditOf('fiji')).toHaveLength(1);
  });

  it('refuses the same idempotency key with different input with CONFLICT', async () => {
    await subgraph.execute(CREATE, { input: newPartner('samoa'), key: 'create-samoa' });
    const reused = await subgraph.execute(CREATE, { input: newPartner('tonga'), key: 'create-samoa' });
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await read('tonga')).toBeNull();
  });

  it("keeps an idempotency key to its caller: another caller's same key never answers with this caller's partner", () =>
    expectKeysKeptToTheirCaller(subgraph, {
      mutation: CREATE,
      field: 'createPartner',
      writeScope: 'partners:write',
      inputs: [newPartner('cook-islands'), newPartner('niue')],
      actorsOf: async (id) => (await auditOf(id)).map((entry) => entry.actor),
    }));

  it('refuses a second partner with the same id, naming input.id', async () => {
    const result = await subgraph.execute(CREATE, { input: newPartner('canada') });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
  });

  it('updates with the version read, and the version goes up', async () => {
    await subgraph.execute(CREATE, { input: newPartner('palau') });
    const result = await subgraph.execute(UPDATE, { id: 'palau', version: 1, input: { name: 'Republic of Palau' } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updatePartner).toMatchObject({ id: 'palau', name: 'Republic of Palau', version: 2 });
    expect(await read('palau')).toMatchObject({ name: 'Republic of Palau', shortName: 'PALAU', version: 2 });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    await subgraph.execute(CREATE, { input: newPartner('nauru') });
    await subgraph.execute(UPDATE, { id: 'nauru', version: 1, input: { region: 'Micronesia' } });
    const before = await read('nauru');
    const stale = await subgraph.execute(UPDATE, { id: 'nauru', version: 1, input: { name: 'Lost update' } });
    expect(stale.data).toBeNull();
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', expectedVersion: 1, currentVersion: 2 });
    expect(await read('nauru')).toEqual(before);
    expect((await auditOf('nauru')).map((entry) => entry.action)).toEqual(['create', 'update']);
  });

  it('archives a partner: still resolved by id, left out of the list unless asked for', async () => {
    await subgraph.execute(CREATE, { input: newPartner('kiribati') });
    const archived = await subgraph.execute(ARCHIVE, { id: 'kiribati', version: 1 });
    expect(archived.data?.archivePartner).toMatchObject({ id: 'kiribati', archived: true, version: 2 });
    expect(await read('kiribati')).toMatchObject({ archived: true });
    const listed = async (includeArchived: boolean | null) => {
      const result = await subgraph.execute(
        `query ($all: Boolean) { partners(first: 100, filter: { region: "Oceania", includeArchived: $all }) { nodes { id } } }`,
        { all: includeArchived },
      );
      return (result.data?.partners as { nodes: { id: string }[] }).nodes.map((node) => node.id);
    };
    expect(await listed(null)).not.toContain('kiribati');
    expect(await listed(true)).toContain('kiribati');
    const twice = await subgraph.execute(ARCHIVE, { id: 'kiribati', version: 2 });
    expect(twice.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(await read('kiribati')).toMatchObject({ version: 2 });
    expect((await auditOf('kiribati')).map((entry) => entry.action)).toEqual(['create', 'archive']);
  });

  it('refuses to archive the home party', async () => {
    const home = await subgraph.execute('{ partners(first: 100) { nodes { id homeParty version } } }');
    const party = (home.data?.partners as { nodes: { id: string; homeParty: boolean; version: number }[] }).nodes.find(
      (node) => node.homeParty,
    )!;
    const result = await subgraph.execute(ARCHIVE, { id: party.id, version: party.version });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(await read(party.id)).toMatchObject({ archived: false, version: party.version });
  });

  it.each([
    [{ ...newPartner('Bad Id') }, 'input.id'],
    [{ ...newPartner('ok-one'), name: '   ' }, 'input.name'],
    [{ ...newPartner('ok-two'), source: { ...SOURCE, basis: 'FICTIONAL_PLACEHOLDER' } }, 'input.source.basis'],
    [{ ...newPartner('ok-three'), source: { ...SOURCE, section: '' } }, 'input.source.section'],
  ])('refuses invalid create input %#, naming the field', async (input, field) => {
    const result = await subgraph.execute(CREATE, { input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read(input.id)).toBeNull();
  });

  it.each([
    [{ id: 'canada', version: 0, input: { name: 'x' } }, 'expectedVersion'],
    [{ id: 'canada', version: 1, input: {} }, 'input'],
    [{ id: 'canada', version: 1, input: { name: null } }, 'input.name'],
    [{ id: 'atlantis', version: 1, input: { name: 'x' } }, 'id'],
  ])('refuses invalid update input %#, naming the field', async (variables, field) => {
    const result = await subgraph.execute(UPDATE, variables);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('canada')).toMatchObject({ name: 'Canada', version: 1 });
  });

  it('lets exactly one of many concurrent updates with the same version win, audited once', async () => {
    await subgraph.execute(CREATE, { input: newPartner('vanuatu') });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        subgraph.execute(UPDATE, { id: 'vanuatu', version: 1, input: { name: `Vanuatu ${n}` } }),
      ),
    );
    const winners = results.filter((result) => result.errors === undefined);
    const conflicts = results.filter((result) => result.errors?.[0]?.extensions?.code === 'CONFLICT');
    expect(winners).toHaveLength(1);
    expect(conflicts).toHaveLength(9);
    const stored = (await read('vanuatu')) as { name: string; version: number };
    expect(stored.version).toBe(2);
    expect(stored.name).toBe((winners[0]!.data?.updatePartner as { name: string }).name);
    const updates = (await auditOf('vanuatu')).filter((entry) => entry.action === 'update');
    expect(updates).toHaveLength(1);
    expect(JSON.parse(updates[0]!.newValues!)).toMatchObject({ name: stored.name, version: 2 });
    expect(JSON.parse(updates[0]!.oldValues!)).toMatchObject({ name: 'Partner vanuatu', version: 1 });
  });

  it('shows points of contact in the audit log only as the SDL lets each caller see them', async () => {
    // `pointsOfContact` is `@authenticated`, each contact's `email` `partners:restricted`. No write
    // audits contacts today; an entry holding them, as one that did would write it:
    const contact = { name: 'A. Contact', role: 'Liaison', email: 'liaison@partner.invalid' };
    await writeAudit(subgraph.db, 'partners', {
      actor: 'editor-1',
      action: 'update',
      entityType: 'Partner',
      entityId: 'united-kingdom',
      old: { version: 1, pointsOfContact: [] },
      new: { version: 2, pointsOfContact: [contact] },
    });
    const newValuesFor = async (caller?: ReturnType<typeof signedIn>) => {
      const result = await subgraph.execute(AUDIT, { id: 'united-kingdom' }, caller);
      const [entry] = (result.data?.partnerAuditLog as { nodes: AuditNode[] }).nodes;
      return JSON.parse(entry!.newValues!) as Record<string, unknown>;
    };
    // The open gateway's caller (no caller given) sees every field, as with `npm start`.
    expect(await newValuesFor()).toEqual({ version: 2, pointsOfContact: [contact] });
    expect(await newValuesFor(signedIn('auditor', ['partners:audit']))).toEqual({
      version: 2,
      pointsOfContact: [{ name: 'A. Contact', role: 'Liaison' }],
    });
    expect(await newValuesFor(signedIn('auditor', ['partners:audit', 'partners:restricted']))).toEqual({
      version: 2,
      pointsOfContact: [contact],
    });
  });

  it('keeps exactly the winning changes in the audit log of the whole office', async () => {
    const result = await subgraph.execute(AUDIT, { id: null });
    const log = result.data?.partnerAuditLog as { totalCount: number; nodes: AuditNode[] };
    const creates = log.nodes.filter((entry) => entry.action === 'create').map((entry) => entry.partnerId);
    expect(creates.sort()).toEqual([
      'cook-islands',
      'fiji',
      'kiribati',
      'nauru',
      'niue',
      'palau',
      'samoa',
      'tuvalu',
      'vanuatu',
    ]);
    expect(log.totalCount).toBe(creates.length + 5);
  });
});
