import { agreementsSubgraph } from '@cip/subgraph-agreements';
import { buildTestSubgraph, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { partnersSubgraph } from '@cip/subgraph-partners';
import { sectorsSubgraph } from '@cip/subgraph-sectors';
import { threatFocusAreasSubgraph } from '@cip/subgraph-threat-focus-areas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ADD = `mutation ($agreement: ID!, $partner: ID!, $version: Int!) {
  addAgreementParty(agreementId: $agreement, partnerId: $partner, expectedVersion: $version) { id version parties { id } } }`;
const REMOVE = `mutation ($agreement: ID!, $partner: ID!, $version: Int!) {
  removeAgreementParty(agreementId: $agreement, partnerId: $partner, expectedVersion: $version) { id version parties { id } } }`;
const READ = `query ($id: ID!) { agreement(id: $id) { version parties { id } } }`;
const AUDIT = `query ($id: ID) { agreementAuditLog(agreementId: $id, first: 100) {
  totalCount nodes { action agreementId oldValues newValues } } }`;

const G8 = 'g8-counter-terrorism-statement';
const NATO = 'nato-sc-epc';

/**
 * Writes that link another office's records, each office a real subgraph on a free port: a party
 * is checked through the partners subgraph's entity lookup over HTTP, a sector through the sectors
 * subgraph's, a focus area through the threat-focus-areas subgraph's. Here under test/ because it
 * starts several offices (subgraphs never import each other).
 */
describeEachStore('agreements mutations on $kind', (store) => {
  let partners: TestSubgraph<ReturnType<typeof partnersSubgraph.createContext>>;
  let agreements: TestSubgraph<ReturnType<typeof agreementsSubgraph.createContext>>;
  const others: { close(): Promise<void> }[] = [];
  let focusAreas: TestSubgraph<ReturnType<typeof threatFocusAreasSubgraph.createContext>>;
  beforeAll(async () => {
    partners = await buildTestSubgraph(partnersSubgraph, store);
    const partnersUrl = await partners.app.listen('127.0.0.1', 0);
    const sectors = await buildTestSubgraph(sectorsSubgraph, store);
    const sectorsUrl = `${await sectors.app.listen('127.0.0.1', 0)}/graphql`;
    focusAreas = await buildTestSubgraph(threatFocusAreasSubgraph, store, 'test', { sectors: sectorsUrl });
    others.push(sectors);
    agreements = await buildTestSubgraph(agreementsSubgraph, store, 'test', {
      partners: `${partnersUrl}/graphql`,
      sectors: sectorsUrl,
      'threat-focus-areas': `${await focusAreas.app.listen('127.0.0.1', 0)}/graphql`,
    });
  });
  afterAll(async () => {
    await agreements?.close();
    await partners?.close();
    await focusAreas?.close();
    await Promise.all(others.map((other) => other.close()));
  });

  const read = async (id: string) => (await agreements.execute(READ, { id })).data?.agreement;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;

  it('adds a known partner as a party, bumping the version', async () => {
    const result = await agreements.execute(ADD, { agreement: G8, partner: 'canada', version: 1 });
    expect(result).toEqual({
      data: {
        addAgreementParty: { id: G8, version: 2, parties: [{ id: 'canada' }, { id: 'g8' }, { id: 'united-states' }] },
      },
    });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    const result = await agreements.execute(ADD, { agreement: G8, partner: 'mexico', version: 1 });
    expect(codeOf(result)).toMatchObject({ code: 'CONFLICT', expectedVersion: 1, currentVersion: 2 });
    expect(await read(G8)).toEqual({ version: 2, parties: [{ id: 'canada' }, { id: 'g8' }, { id: 'united-states' }] });
  });

  it.each([
    ['a partner the partners office does not know', { agreement: G8, partner: 'atlantis', version: 2 }, 'partnerId'],
    ['a party it has already', { agreement: G8, partner: 'canada', version: 2 }, 'partnerId'],
    [
      'a third party to a bilateral agreement',
      { agreement: 'smart-border-declaration', partner: 'mexico', version: 1 },
      'partnerId',
    ],
    ['a malformed partner id', { agreement: G8, partner: 'Not An Id', version: 2 }, 'partnerId'],
    ['an unknown agreement', { agreement: 'no-such-agreement', partner: 'mexico', version: 1 }, 'agreementId'],
  ])('refuses to add %s, naming the field', async (_name, variables, field) => {
    const before = await read(variables.agreement);
    const result = await agreements.execute(ADD, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read(variables.agreement)).toEqual(before);
  });

  it('refuses an archived partner', async () => {
    const archived = await partners.execute(
      `mutation { archivePartner(id: "japan", expectedVersion: 1) { archived } }`,
    );
    expect(archived.errors).toBeUndefined();
    const result = await agreements.execute(ADD, { agreement: NATO, partner: 'japan', version: 1 });
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partnerId' });
    expect(await read(NATO)).toMatchObject({ version: 1 });
  });

  it('removes a party, but never the home party nor below two parties', async () => {
    const home = await agreements.execute(REMOVE, { agreement: G8, partner: 'united-states', version: 2 });
    expect(codeOf(home)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partnerId' });
    const removed = await agreements.execute(REMOVE, { agreement: G8, partner: 'canada', version: 2 });
    expect(removed.data?.removeAgreementParty).toEqual({
      id: G8,
      version: 3,
      parties: [{ id: 'g8' }, { id: 'united-states' }],
    });
    const tooFew = await agreements.execute(REMOVE, { agreement: G8, partner: 'g8', version: 3 });
    expect(codeOf(tooFew)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partnerId' });
    expect(await read(G8)).toMatchObject({ version: 3 });
  });

  it('lets exactly one of many concurrent changes with the same version win, audited once', async () => {
    const candidates = ['canada', 'mexico', 'united-kingdom', 'france', 'germany', 'italy'];
    const results = await Promise.all(
      candidates.map((partner) => agreements.execute(ADD, { agreement: NATO, partner, version: 1 })),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(candidates.length - 1);
    const stored = (await read(NATO)) as { version: number; parties: { id: string }[] };
    expect(stored.version).toBe(2);
    expect(stored.parties).toHaveLength(3);
    const audit = await agreements.execute(AUDIT, { id: NATO });
    const nodes = (audit.data?.agreementAuditLog as { nodes: { newValues: string }[] }).nodes;
    expect(nodes).toHaveLength(1);
    expect(JSON.parse(nodes[0]!.newValues)).toEqual({ version: 2, parties: stored.parties.map((party) => party.id) });
  });

  it('keeps exactly the winning changes in the audit log', async () => {
    const audit = await agreements.execute(AUDIT, { id: G8 });
    const nodes = (
      audit.data?.agreementAuditLog as { nodes: { action: string; oldValues: string; newValues: string }[] }
    ).nodes;
    expect(nodes.map((node) => [node.action, JSON.parse(node.oldValues), JSON.parse(node.newValues)])).toEqual([
      [
        'addParty',
        { version: 1, parties: ['g8', 'united-states'] },
        { version: 2, parties: ['canada', 'g8', 'united-states'] },
      ],
      [
        'removeParty',
        { version: 2, parties: ['canada', 'g8', 'united-states'] },
        { version: 3, parties: ['g8', 'united-states'] },
      ],
    ]);
  });

  it('refuses the write with SUBGRAPH_UNREACHABLE, changing nothing, when the partners office cannot answer', async () => {
    const orphan = await buildTestSubgraph(agreementsSubgraph, store, 'test', {
      partners: 'http://127.0.0.1:9/graphql',
    });
    try {
      const result = await orphan.execute(ADD, { agreement: G8, partner: 'mexico', version: 1 });
      expect(codeOf(result)).toMatchObject({ code: 'SUBGRAPH_UNREACHABLE', subgraph: 'partners' });
      expect((await orphan.execute(READ, { id: G8 })).data?.agreement).toMatchObject({ version: 1 });
    } finally {
      await orphan.close();
    }
  });
  describe('threat focus areas and sectors, checked with their offices', () => {
    const SPP = 'security-and-prosperity-partnership';
    const LINK = (verb: string, what: string, argument: string) => `mutation ($id: ID!, $version: Int!) {
      ${verb}Agreement${what}(agreementId: "${SPP}", ${argument}: $id, expectedVersion: $version) {
        version threatFocusAreas { id } sectors { id } } }`;

    it('links a known focus area and refuses an unknown one, naming the field', async () => {
      const unknown = await agreements.execute(LINK('add', 'ThreatFocusArea', 'threatFocusAreaId'), {
        id: 'no-such-area',
        version: 1,
      });
      expect(codeOf(unknown)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'threatFocusAreaId' });
      const linked = await agreements.execute(LINK('add', 'ThreatFocusArea', 'threatFocusAreaId'), {
        id: 'cyber-security',
        version: 1,
      });
      expect(linked.data?.addAgreementThreatFocusArea).toEqual({
        version: 2,
        threatFocusAreas: [{ id: 'cross-border-ci-kr' }, { id: 'cyber-security' }],
        sectors: [{ id: 'transportation-systems' }],
      });
    });

    it('links and unlinks sectors, each change audited', async () => {
      const unknown = await agreements.execute(LINK('add', 'Sector', 'sectorId'), { id: 'no-such-sector', version: 2 });
      expect(codeOf(unknown)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
      const added = await agreements.execute(LINK('add', 'Sector', 'sectorId'), { id: 'chemical', version: 2 });
      expect(added.errors).toBeUndefined();
      const removed = await agreements.execute(LINK('remove', 'Sector', 'sectorId'), {
        id: 'transportation-systems',
        version: 3,
      });
      expect(removed.data?.removeAgreementSector).toMatchObject({ version: 4, sectors: [{ id: 'chemical' }] });
      const stale = await agreements.execute(LINK('remove', 'Sector', 'sectorId'), { id: 'chemical', version: 3 });
      expect(codeOf(stale)).toMatchObject({ code: 'CONFLICT', currentVersion: 4 });
      const audit = await agreements.execute(AUDIT, { id: SPP });
      const nodes = (audit.data?.agreementAuditLog as { nodes: { action: string; newValues: string }[] }).nodes;
      expect(nodes.map((node) => [node.action, JSON.parse(node.newValues)])).toEqual([
        ['addThreatFocusArea', { version: 2, threatFocusAreas: ['cross-border-ci-kr', 'cyber-security'] }],
        ['addSector', { version: 3, sectors: ['chemical', 'transportation-systems'] }],
        ['removeSector', { version: 4, sectors: ['chemical'] }],
      ]);
    });
  });
  describe('a focus area’s sectors, checked with the sectors office', () => {
    const LINK = (verb: string) => `mutation ($sector: ID!, $version: Int!) {
      ${verb}ThreatFocusAreaSector(id: "rail-and-metro-security", sectorId: $sector, expectedVersion: $version) {
        version affectedSectors { id } } }`;

    it('links a known sector, refuses an unknown one, and unlinks', async () => {
      const unknown = await focusAreas.execute(LINK('add'), { sector: 'no-such-sector', version: 1 });
      expect(codeOf(unknown)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
      const before = (
        await focusAreas.execute('{ threatFocusArea(id: "rail-and-metro-security") { affectedSectors { id } } }')
      ).data?.threatFocusArea as { affectedSectors: { id: string }[] };
      const linked = await focusAreas.execute(LINK('add'), { sector: 'chemical', version: 1 });
      expect(linked.errors).toBeUndefined();
      expect(linked.data?.addThreatFocusAreaSector).toMatchObject({ version: 2 });
      expect((linked.data?.addThreatFocusAreaSector as typeof before).affectedSectors).toHaveLength(
        before.affectedSectors.length + 1,
      );
      const unlinked = await focusAreas.execute(LINK('remove'), { sector: 'chemical', version: 2 });
      expect(unlinked.data?.removeThreatFocusAreaSector).toEqual({
        version: 3,
        affectedSectors: before.affectedSectors,
      });
    });
  });
});
