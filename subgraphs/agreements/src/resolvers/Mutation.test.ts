import {
  buildTestSubgraph,
  describeEachStore,
  expectKeysKeptToTheirCaller,
  signedIn,
  type TestSubgraph,
  startFakeOffices,
  type FakeOffices,
  type OtherOfficeRecords,
} from '@cip/testing/subgraphs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { AgreementsContext } from '../context.js';
import { agreementsSubgraph } from '../server.js';

const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdateAgreementInput!) {
  updateAgreement(id: $id, expectedVersion: $version, input: $input) { title shortTitle purpose version } }`;
const READ = `query ($id: ID!) { agreement(id: $id) { title shortTitle purpose version } }`;
const AUDIT = `query ($id: ID) { agreementAuditLog(agreementId: $id) { totalCount nodes { action oldValues newValues } } }`;

/** The office's own fields; links to other offices' records are in test/cross-office-writes.test.ts. */
describeEachStore('agreement updates on $kind', (store) => {
  let subgraph: TestSubgraph<AgreementsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(agreementsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const read = async (id: string) => (await subgraph.execute(READ, { id })).data?.agreement;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;

  it('updates the fields given with the version read; null removes the short title', async () => {
    const result = await subgraph.execute(UPDATE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { title: 'Security and Prosperity Partnership', shortTitle: null },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateAgreement).toMatchObject({
      title: 'Security and Prosperity Partnership',
      shortTitle: null,
      version: 2,
    });
    const audit = await subgraph.execute(AUDIT, { id: 'security-and-prosperity-partnership' });
    const [entry] = (
      audit.data?.agreementAuditLog as { nodes: { action: string; oldValues: string; newValues: string }[] }
    ).nodes;
    expect(entry?.action).toBe('update');
    expect(JSON.parse(entry!.oldValues)).toMatchObject({ short_title: 'SPP', version: 1 });
    expect(JSON.parse(entry!.newValues)).toMatchObject({ short_title: null, version: 2 });
  });

  it('shows restricted values in the audit log only to callers with their scope, as the SDL says', async () => {
    // `internalNotes` and `negotiationStatus` are `@requiresScopes(scopes: [["agreements:restricted"]])`.
    const updated = await subgraph.execute(UPDATE, {
      id: 'smart-border-declaration',
      version: 1,
      input: { purpose: 'Reviewed in the office.' },
    });
    expect(updated.errors).toBeUndefined();
    const valuesFor = async (caller?: ReturnType<typeof signedIn>) => {
      const audit = await subgraph.execute(AUDIT, { id: 'smart-border-declaration' }, caller);
      const [entry] = (audit.data?.agreementAuditLog as { nodes: { oldValues: string; newValues: string }[] }).nodes;
      return [JSON.parse(entry!.oldValues), JSON.parse(entry!.newValues)] as Record<string, unknown>[];
    };
    for (const values of await valuesFor(signedIn('auditor', ['agreements:audit']))) {
      expect(values).toMatchObject({ id: 'smart-border-declaration', kind: 'DECLARATION' });
      expect(values).not.toHaveProperty('internal_notes');
      expect(values).not.toHaveProperty('negotiation_status');
    }
    const [before, after] = await valuesFor(signedIn('auditor', ['agreements:audit', 'agreements:restricted']));
    // The open gateway's caller (no caller given) sees every field, as with `npm start`.
    for (const values of [before, after, ...(await valuesFor())]) {
      expect(values).toMatchObject({
        negotiation_status: 'CONCLUDED',
        internal_notes: expect.stringContaining('[Fictional placeholder]'),
      });
    }
    expect(after).toMatchObject({ purpose: 'Reviewed in the office.', version: 2 });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    const before = await read('security-and-prosperity-partnership');
    const result = await subgraph.execute(UPDATE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { purpose: 'Lost update' },
    });
    expect(codeOf(result)).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    expect(await read('security-and-prosperity-partnership')).toEqual(before);
  });

  it.each([
    [{ id: 'nato-sc-epc', version: 1, input: {} }, 'input'],
    [{ id: 'nato-sc-epc', version: 1, input: { title: ' ' } }, 'input.title'],
    [{ id: 'nato-sc-epc', version: 1, input: { purpose: null } }, 'input.purpose'],
    [{ id: 'nato-sc-epc', version: 0, input: { title: 'x' } }, 'expectedVersion'],
    [{ id: 'no-such-agreement', version: 1, input: { title: 'x' } }, 'id'],
  ])('refuses invalid input %#, naming the field', async (variables, field) => {
    const before = await read('nato-sc-epc');
    const result = await subgraph.execute(UPDATE, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('nato-sc-epc')).toEqual(before);
  });

  it('lets exactly one of many concurrent updates with the same version win, audited once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        subgraph.execute(UPDATE, { id: 'uk-joint-contact-group', version: 1, input: { purpose: `Take ${n}` } }),
      ),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(5);
    const audit = await subgraph.execute(AUDIT, { id: 'uk-joint-contact-group' });
    expect((audit.data?.agreementAuditLog as { totalCount: number }).totalCount).toBe(1);
  });
});

const OTHER_OFFICES: OtherOfficeRecords = {
  Partner: {
    'united-states': { archived: false, homeParty: true },
    canada: { archived: false, homeParty: false },
    mexico: { archived: false, homeParty: false },
    japan: { archived: true, homeParty: false },
  },
  ThreatFocusArea: { 'cyber-security': { archived: false }, 'foreign-investment': { archived: true } },
  Sector: { energy: { archived: false }, dams: { archived: false }, 'retired-sector': { archived: true } },
};

const SOURCE = { document: 'Office register', section: 'Agreements added in review', basis: 'PUBLIC_KNOWLEDGE' };
const newAgreement = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  title: `Agreement ${id}`,
  kind: 'DECLARATION',
  scope: 'BILATERAL',
  signed: { year: 2006, month: 3 },
  purpose: 'To cooperate on cross-border critical infrastructure.',
  partyIds: ['united-states', 'canada'],
  threatFocusAreaIds: ['cyber-security'],
  sectorIds: ['energy'],
  source: SOURCE,
  ...extra,
});

const AGREEMENT_FIELDS = `id title shortTitle kind scope signed { text } version archived
  parties { id } threatFocusAreas { id } sectors { id } source { basis }`;
const CREATE = `mutation ($input: CreateAgreementInput!, $key: String) {
  createAgreement(input: $input, idempotencyKey: $key) { ${AGREEMENT_FIELDS} } }`;
const ARCHIVE = `mutation ($id: ID!, $version: Int!) {
  archiveAgreement(id: $id, expectedVersion: $version) { id version archived } }`;
const BY_ID = `query ($id: ID!) { agreement(id: $id) { ${AGREEMENT_FIELDS} } }`;
const AUDIT_LOG = `query ($id: ID) { agreementAuditLog(agreementId: $id, first: 100) {
  totalCount nodes { actor action agreementId oldValues newValues } } }`;

interface AuditNode {
  actor: string;
  action: string;
  agreementId: string;
  oldValues: string | null;
  newValues: string | null;
}

describeEachStore('agreement creates and archives on $kind', (store) => {
  let subgraph: TestSubgraph<AgreementsContext>;
  let offices: FakeOffices;
  beforeAll(async () => {
    offices = await startFakeOffices(OTHER_OFFICES);
    subgraph = await buildTestSubgraph(agreementsSubgraph, store, 'test', {
      partners: offices.url,
      'threat-focus-areas': offices.url,
      sectors: offices.url,
    });
  });
  afterAll(async () => {
    await subgraph?.close();
    await offices?.close();
  });
  beforeEach(() => {
    offices.down = false;
  });

  const read = async (id: string) => (await subgraph.execute(BY_ID, { id })).data?.agreement;
  const auditOf = async (id: string | null) => {
    const result = await subgraph.execute(AUDIT_LOG, { id });
    expect(result.errors).toBeUndefined();
    return result.data?.agreementAuditLog as { totalCount: number; nodes: AuditNode[] };
  };
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;
  const listed = async (includeArchived: boolean | null) => {
    const result = await subgraph.execute(
      `query ($all: Boolean) { agreements(first: 100, filter: { includeArchived: $all }) { nodes { id } } }`,
      { all: includeArchived },
    );
    return (result.data?.agreements as { nodes: { id: string }[] }).nodes.map((node) => node.id);
  };

  it('creates an agreement at version 1 with its links, checked with their offices, and audits it', async () => {
    const result = await subgraph.execute(CREATE, { input: { ...newAgreement('pact-one'), shortTitle: 'P1' } });
    expect(result).toEqual({
      data: {
        createAgreement: {
          id: 'pact-one',
          title: 'Agreement pact-one',
          shortTitle: 'P1',
          kind: 'DECLARATION',
          scope: 'BILATERAL',
          signed: { text: 'March 2006' },
          version: 1,
          archived: false,
          parties: [{ id: 'canada' }, { id: 'united-states' }],
          threatFocusAreas: [{ id: 'cyber-security' }],
          sectors: [{ id: 'energy' }],
          source: { basis: 'PUBLIC_KNOWLEDGE' },
        },
      },
    });
    expect(await read('pact-one')).toEqual(result.data?.createAgreement);
    const { nodes } = await auditOf('pact-one');
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ actor: 'anonymous', action: 'create', agreementId: 'pact-one', oldValues: null });
    expect(JSON.parse(nodes[0]!.newValues!)).toMatchObject({
      id: 'pact-one',
      short_title: 'P1',
      signed_year: 2006,
      signed_month: 3,
      version: 1,
      archived_at: null,
      parties: ['canada', 'united-states'],
      threatFocusAreas: ['cyber-security'],
      sectors: ['energy'],
    });
  });

  it('creates once for the same idempotency key, and replays even when the other offices are down', async () => {
    const input = newAgreement('pact-two', { threatFocusAreaIds: [], sectorIds: [] });
    const first = await subgraph.execute(CREATE, { input, key: 'create-pact-two' });
    expect(first.errors).toBeUndefined();
    offices.down = true;
    const again = await subgraph.execute(CREATE, { input, key: 'create-pact-two' });
    expect(again).toEqual(first);
    expect((await auditOf('pact-two')).totalCount).toBe(1);
  });

  it('refuses the same idempotency key with different input with CONFLICT, creating nothing', async () => {
    const reused = await subgraph.execute(CREATE, { input: newAgreement('pact-three'), key: 'create-pact-two' });
    expect(codeOf(reused)).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await read('pact-three')).toBeNull();
  });

  it("keeps an idempotency key to its caller: another caller's same key never answers with this caller's agreement", () =>
    expectKeysKeptToTheirCaller(subgraph, {
      mutation: CREATE,
      field: 'createAgreement',
      writeScope: 'agreements:write',
      inputs: [newAgreement('pact-shared-key'), newAgreement('pact-bobs-key')],
      actorsOf: async (id) => (await auditOf(id)).nodes.map((entry) => entry.actor),
    }));

  it('refuses a second agreement with an id in use, naming input.id', async () => {
    const result = await subgraph.execute(CREATE, { input: newAgreement('smart-border-declaration') });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
    expect(await read('smart-border-declaration')).toMatchObject({ title: 'Smart Border Declaration', version: 1 });
  });

  it.each([
    [newAgreement('Bad Id'), 'input.id'],
    [newAgreement('bad-title', { title: '  ' }), 'input.title'],
    [newAgreement('bad-month', { signed: { year: 2006, month: 13 } }), 'input.signed.month'],
    [newAgreement('bad-year', { signed: { year: 1850 } }), 'input.signed.year'],
    [newAgreement('one-party', { partyIds: ['united-states'] }), 'input.partyIds'],
    [newAgreement('three-parties', { partyIds: ['united-states', 'canada', 'mexico'] }), 'input.partyIds'],
    [
      newAgreement('twice', { scope: 'MULTILATERAL', partyIds: ['united-states', 'canada', 'canada'] }),
      'input.partyIds.2',
    ],
    [newAgreement('bad-sector-id', { sectorIds: ['Energy!'] }), 'input.sectorIds.0'],
    [newAgreement('placeholder', { source: { ...SOURCE, basis: 'FICTIONAL_PLACEHOLDER' } }), 'input.source.basis'],
  ])('refuses invalid input %#, naming the field, before asking any office', async (input, field) => {
    const lookups = offices.lookups;
    const result = await subgraph.execute(CREATE, { input });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(offices.lookups).toBe(lookups);
    expect(await read(input.id)).toBeNull();
  });

  it.each([
    ['a partner the partners office does not know', { partyIds: ['united-states', 'atlantis'] }, 'input.partyIds.1'],
    ['an archived partner', { partyIds: ['united-states', 'japan'] }, 'input.partyIds.1'],
    ['parties without the home party', { partyIds: ['canada', 'mexico'] }, 'input.partyIds'],
    ['an unknown focus area', { threatFocusAreaIds: ['cyber-security', 'no-such-area'] }, 'input.threatFocusAreaIds.1'],
    ['an archived focus area', { threatFocusAreaIds: ['foreign-investment'] }, 'input.threatFocusAreaIds.0'],
    ['an unknown sector', { sectorIds: ['atlantis-grid'] }, 'input.sectorIds.0'],
    ['an archived sector', { sectorIds: ['retired-sector'] }, 'input.sectorIds.0'],
  ])('refuses %s, naming it, and writes nothing', async (_name, links, field) => {
    const before = await auditOf(null);
    const result = await subgraph.execute(CREATE, { input: newAgreement('pact-refused', links) });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('pact-refused')).toBeNull();
    expect((await auditOf(null)).totalCount).toBe(before.totalCount);
  });

  it('refuses the create with SUBGRAPH_UNREACHABLE, writing nothing, when an office cannot answer', async () => {
    offices.down = true;
    const result = await subgraph.execute(CREATE, { input: newAgreement('pact-offline'), key: 'offline' });
    expect(codeOf(result)).toMatchObject({ code: 'SUBGRAPH_UNREACHABLE' });
    offices.down = false;
    expect(await read('pact-offline')).toBeNull();
    // The key was not used up: the retry creates.
    const retried = await subgraph.execute(CREATE, { input: newAgreement('pact-offline'), key: 'offline' });
    expect(retried.errors).toBeUndefined();
  });

  it('refuses to link an archived sector or focus area to an existing agreement', async () => {
    const sector = await subgraph.execute(
      'mutation { addAgreementSector(agreementId: "pact-one", sectorId: "retired-sector", expectedVersion: 1) { version } }',
    );
    expect(codeOf(sector)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
    const focusArea = await subgraph.execute(
      'mutation { addAgreementThreatFocusArea(agreementId: "pact-one", threatFocusAreaId: "foreign-investment", expectedVersion: 1) { version } }',
    );
    expect(codeOf(focusArea)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'threatFocusAreaId' });
    expect(await read('pact-one')).toMatchObject({ version: 1 });
  });

  /** The agreements of Canada, of the energy sector and of the cyber-security focus area, as lists of ids. */
  const linkedAgreementIds = async () => {
    const result = await subgraph.execute(`{ _entities(representations: [
        { __typename: "Partner", id: "canada" }, { __typename: "Sector", id: "energy" },
        { __typename: "ThreatFocusArea", id: "cyber-security" }]) {
      ... on Partner { agreements(first: 100) { nodes { id } } }
      ... on Sector { agreements(first: 100) { nodes { id } } }
      ... on ThreatFocusArea { agreements(first: 100) { nodes { id } } } } }`);
    expect(result.errors).toBeUndefined();
    return (result.data?._entities as { agreements: { nodes: { id: string }[] } }[]).map((entity) =>
      entity.agreements.nodes.map((node) => node.id).filter((id) => id.startsWith('pact-one')),
    );
  };

  it('archives: still resolved by id and as an entity, left out of every list unless asked for', async () => {
    expect(await linkedAgreementIds()).toEqual([['pact-one'], ['pact-one'], ['pact-one']]);
    const stale = await subgraph.execute(ARCHIVE, { id: 'pact-one', version: 2 });
    expect(codeOf(stale)).toMatchObject({ code: 'CONFLICT', expectedVersion: 2, currentVersion: 1 });
    expect(await read('pact-one')).toMatchObject({ archived: false, version: 1 });

    const archived = await subgraph.execute(ARCHIVE, { id: 'pact-one', version: 1 });
    expect(archived).toEqual({ data: { archiveAgreement: { id: 'pact-one', version: 2, archived: true } } });
    expect(await read('pact-one')).toMatchObject({ archived: true, version: 2 });
    const entity = await subgraph.execute(
      '{ _entities(representations: [{ __typename: "Agreement", id: "pact-one" }]) { ... on Agreement { id archived } } }',
    );
    expect(entity.data?._entities).toEqual([{ id: 'pact-one', archived: true }]);

    expect(await listed(null)).not.toContain('pact-one');
    expect(await listed(false)).not.toContain('pact-one');
    expect(await listed(true)).toContain('pact-one');
    expect(await linkedAgreementIds()).toEqual([[], [], []]);
  });

  it('refuses to archive twice or an unknown agreement, naming id, and writes nothing more', async () => {
    const twice = await subgraph.execute(ARCHIVE, { id: 'pact-one', version: 2 });
    expect(codeOf(twice)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = await subgraph.execute(ARCHIVE, { id: 'no-such-agreement', version: 1 });
    expect(codeOf(unknown)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const badVersion = await subgraph.execute(ARCHIVE, { id: 'pact-one', version: 0 });
    expect(codeOf(badVersion)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expectedVersion' });
    expect(await read('pact-one')).toMatchObject({ archived: true, version: 2 });
    const { nodes } = await auditOf('pact-one');
    expect(nodes.map((node) => node.action)).toEqual(['create', 'archive']);
    expect(JSON.parse(nodes[1]!.oldValues!)).toMatchObject({ archived_at: null, version: 1 });
    expect(JSON.parse(nodes[1]!.newValues!)).toMatchObject({ version: 2 });
    expect(JSON.parse(nodes[1]!.newValues!).archived_at).not.toBeNull();
  });

  it('keeps exactly the committed creates and archives in the audit log of the office', async () => {
    const { nodes } = await auditOf(null);
    expect(nodes.map((node) => [node.action, node.agreementId])).toEqual([
      ['create', 'pact-one'],
      ['create', 'pact-two'],
      ['create', 'pact-shared-key'],
      ['create', 'pact-bobs-key'],
      ['create', 'pact-offline'],
      ['archive', 'pact-one'],
    ]);
  });
});

describeEachStore('agreement updates of kind, scope and date on $kind', (store) => {
  const CHANGE = `mutation ($id: ID!, $version: Int!, $input: UpdateAgreementInput!) {
    updateAgreement(id: $id, expectedVersion: $version, input: $input) { kind scope signed { year month text } version } }`;
  const READ_OWN = `query ($id: ID!) { agreement(id: $id) { kind scope signed { text } version } }`;
  let subgraph: TestSubgraph<AgreementsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(agreementsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const auditCount = async () =>
    (await subgraph.db.query<{ n: number }>('SELECT count(*)::int AS n FROM agreements.audit_log'))[0]!.n;

  it('changes kind, scope and signing date, audited; a null date removes it', async () => {
    const changed = await subgraph.execute(CHANGE, {
      id: 'nato-sc-epc',
      version: 1,
      input: { kind: 'PARTNERSHIP', scope: 'MULTILATERAL', signed: { year: 2004, month: 6 } },
    });
    expect(changed.errors).toBeUndefined();
    expect(changed.data?.updateAgreement).toEqual({
      kind: 'PARTNERSHIP',
      scope: 'MULTILATERAL',
      signed: { year: 2004, month: 6, text: 'June 2004' },
      version: 2,
    });
    const cleared = await subgraph.execute(CHANGE, { id: 'nato-sc-epc', version: 2, input: { signed: null } });
    expect(cleared.data?.updateAgreement).toMatchObject({ signed: { year: null, month: null, text: 'unknown' } });
    const audit = await subgraph.execute(AUDIT, { id: 'nato-sc-epc' });
    const nodes = (audit.data?.agreementAuditLog as { nodes: { oldValues: string; newValues: string }[] }).nodes;
    expect(JSON.parse(nodes[0]!.newValues)).toMatchObject({ kind: 'PARTNERSHIP', signed_year: 2004, signed_month: 6 });
    expect(JSON.parse(nodes[1]!.newValues)).toMatchObject({ signed_year: null, signed_month: null, version: 3 });
  });

  it('refuses a scope its parties do not fit, and changes nothing', async () => {
    // The Security and Prosperity Partnership binds three parties.
    const before = await subgraph.execute(READ_OWN, { id: 'security-and-prosperity-partnership' });
    const audited = await auditCount();
    const result = await subgraph.execute(CHANGE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { scope: 'BILATERAL', kind: 'DECLARATION' },
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.scope' });
    expect(result.errors?.[0]?.message).toMatch(/binds at most 2 parties, and this one has 3/);
    expect(await subgraph.execute(READ_OWN, { id: 'security-and-prosperity-partnership' })).toEqual(before);
    expect(await auditCount()).toBe(audited);
    // Widening fits any party count.
    const widened = await subgraph.execute(CHANGE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { scope: 'MULTILATERAL' },
    });
    expect(widened.data?.updateAgreement).toMatchObject({ scope: 'MULTILATERAL', version: 2 });
  });

  it.each([
    [{ kind: null }, 'input.kind'],
    [{ scope: null }, 'input.scope'],
    [{ signed: { year: 1850 } }, 'input.signed.year'],
    [{ signed: { year: 2001, month: 13 } }, 'input.signed.month'],
  ])('refuses %o, naming the field', async (input, field) => {
    const before = await subgraph.execute(READ_OWN, { id: 'smart-border-declaration' });
    const result = await subgraph.execute(CHANGE, { id: 'smart-border-declaration', version: 1, input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await subgraph.execute(READ_OWN, { id: 'smart-border-declaration' })).toEqual(before);
  });
});
