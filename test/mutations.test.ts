import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * Offices edit their records through the gateway: each mutation needs its office's write scope
 * (`@requiresScopes` in the office's SDL, enforced by the gateway before any subgraph is asked),
 * and the audit log names the token's subject.
 */
const READ = `query ($id: ID!) { partner(id: $id) { id name version archived } }`;
const UPDATE = `mutation ($id: ID!, $version: Int!, $name: String!) {
  updatePartner(id: $id, expectedVersion: $version, input: { name: $name }) { id name version } }`;
const CREATE = `mutation ($key: String) {
  createPartner(idempotencyKey: $key, input: {
    id: "new-zealand", name: "New Zealand", shortName: "New Zealand", kind: COUNTRY, region: "Oceania",
    source: { document: "Office register", section: "Partners added in review", basis: PUBLIC_KNOWLEDGE }
  }) { id version archived } }`;
const AUDIT = `query ($id: ID) { partnerAuditLog(partnerId: $id) { totalCount nodes { actor action partnerId } } }`;

describe('mutations through the gateway (HS256 tokens)', () => {
  let system: RunningSystem;
  let writer: string;
  let reader: string;
  let auditor: string;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH });
    writer = await makeToken({ scopes: ['partners:write'], subject: 'editor-1' });
    reader = await makeToken({ scopes: ['partners:restricted'] });
    auditor = await makeToken({ scopes: ['partners:audit'] });
  });
  afterAll(() => system.stop());

  const read = async (id: string) => (await post(system.gatewayUrl, { query: READ, variables: { id } }, reader)).body;

  it.each([
    ['an anonymous caller', async () => undefined],
    ['a token without the write scope', () => makeToken({ scopes: ['partners:restricted', 'analyst'] })],
    ["another office's write scope", () => makeToken({ scopes: ['agreements:write'] })],
  ])('refuses the write to %s, and nothing changes', async (_name, token) => {
    const before = await read('canada');
    const { status, body } = await post(
      system.gatewayUrl,
      { query: UPDATE, variables: { id: 'canada', version: 1, name: 'Not Canada' } },
      await token(),
    );
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['updatePartner'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } }),
    ]);
    expect(await read('canada')).toEqual(before);
    const audit = await post(system.gatewayUrl, { query: AUDIT, variables: { id: 'canada' } }, auditor);
    expect(audit.body.data.partnerAuditLog.totalCount).toBe(0);
  });

  it('with the write scope changes the record, and a following query sees it', async () => {
    const { body } = await post(
      system.gatewayUrl,
      { query: UPDATE, variables: { id: 'mexico', version: 1, name: 'United Mexican States' } },
      writer,
    );
    expect(body).toEqual({ data: { updatePartner: { id: 'mexico', name: 'United Mexican States', version: 2 } } });
    expect(await read('mexico')).toEqual({
      data: { partner: { id: 'mexico', name: 'United Mexican States', version: 2, archived: false } },
    });
  });

  it('refuses a stale version with CONFLICT through the gateway', async () => {
    const { body } = await post(
      system.gatewayUrl,
      { query: UPDATE, variables: { id: 'mexico', version: 1, name: 'Lost update' } },
      writer,
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    expect((await read('mexico')).data.partner.name).toBe('United Mexican States');
  });

  it('creates once for a repeated idempotency key', async () => {
    const first = await post(system.gatewayUrl, { query: CREATE, variables: { key: 'nz-1' } }, writer);
    const again = await post(system.gatewayUrl, { query: CREATE, variables: { key: 'nz-1' } }, writer);
    expect(first.body).toEqual({ data: { createPartner: { id: 'new-zealand', version: 1, archived: false } } });
    expect(again.body).toEqual(first.body);
    // The key is editor-1's: another writer sending the same key and input makes a create of its
    // own (refused, the id being taken), never gets editor-1's record back.
    const other = await makeToken({ scopes: ['partners:write'], subject: 'editor-9' });
    const theirs = await post(system.gatewayUrl, { query: CREATE, variables: { key: 'nz-1' } }, other);
    expect(theirs.body.data).toBeNull();
    expect(theirs.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.id' });
  });

  it('shows the audit log, naming the token subject, only with the audit scope', async () => {
    const denied = await post(system.gatewayUrl, { query: AUDIT, variables: { id: 'mexico' } }, writer);
    expect(denied.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' });
    const { body } = await post(system.gatewayUrl, { query: AUDIT, variables: { id: null } }, auditor);
    expect(body.data.partnerAuditLog).toEqual({
      totalCount: 2,
      nodes: [
        { actor: 'editor-1', action: 'update', partnerId: 'mexico' },
        { actor: 'editor-1', action: 'create', partnerId: 'new-zealand' },
      ],
    });
  });
  it('shows restricted values in the audit log only to callers with their scope', async () => {
    // `internalNotes` and `negotiationStatus` need `agreements:restricted`; the audit scope alone
    // shows the change without them (left out of oldValues and newValues).
    const UPDATE_AGREEMENT = `mutation {
      updateAgreement(id: "smart-border-declaration", expectedVersion: 1, input: { purpose: "Reviewed." }) { version } }`;
    const editor = await makeToken({ scopes: ['agreements:write'], subject: 'editor-4' });
    expect((await post(system.gatewayUrl, { query: UPDATE_AGREEMENT }, editor)).body).toEqual({
      data: { updateAgreement: { version: 2 } },
    });
    const AGREEMENT_AUDIT = `{ agreementAuditLog(agreementId: "smart-border-declaration") { nodes { oldValues newValues } } }`;
    const valuesFor = async (scopes: string[]) => {
      const { body } = await post(system.gatewayUrl, { query: AGREEMENT_AUDIT }, await makeToken({ scopes }));
      expect(body.errors).toBeUndefined();
      const [entry] = body.data.agreementAuditLog.nodes as { oldValues: string; newValues: string }[];
      return [JSON.parse(entry!.oldValues), JSON.parse(entry!.newValues)] as Record<string, unknown>[];
    };
    for (const values of await valuesFor(['agreements:audit'])) {
      expect(values).toMatchObject({ id: 'smart-border-declaration', short_title: null });
      expect(values).not.toHaveProperty('internal_notes');
      expect(values).not.toHaveProperty('negotiation_status');
    }
    const [before, after] = await valuesFor(['agreements:audit', 'agreements:restricted']);
    for (const values of [before, after]) {
      expect(values).toMatchObject({
        negotiation_status: 'CONCLUDED',
        internal_notes: expect.stringContaining('placeholder'),
      });
    }
    expect(after).toMatchObject({ purpose: 'Reviewed.', version: 2 });
  });

  describe('agreements: a party must be a partner the partners office knows', () => {
    const ADD_PARTY = `mutation ($partner: ID!, $version: Int!) {
      addAgreementParty(agreementId: "g8-counter-terrorism-statement", partnerId: $partner, expectedVersion: $version) {
        version parties { id name } } }`;
    const PARTIES = `{ agreement(id: "g8-counter-terrorism-statement") { version parties { id } } }`;

    it('refuses the write without the agreements write scope', async () => {
      const { body } = await post(
        system.gatewayUrl,
        { query: ADD_PARTY, variables: { partner: 'canada', version: 1 } },
        writer,
      );
      expect(body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' });
      expect((await post(system.gatewayUrl, { query: PARTIES }, reader)).body.data.agreement.version).toBe(1);
    });

    it('checks the partner with the partners subgraph, then adds it; a following query sees it', async () => {
      const editor = await makeToken({ scopes: ['agreements:write'], subject: 'editor-2' });
      const unknown = await post(
        system.gatewayUrl,
        { query: ADD_PARTY, variables: { partner: 'atlantis', version: 1 } },
        editor,
      );
      expect(unknown.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'partnerId' });
      const { body } = await post(
        system.gatewayUrl,
        { query: ADD_PARTY, variables: { partner: 'canada', version: 1 } },
        editor,
      );
      expect(body).toEqual({
        data: {
          addAgreementParty: {
            version: 2,
            parties: [
              { id: 'canada', name: 'Canada' },
              { id: 'g8', name: 'Group of Eight (G8)' },
              { id: 'united-states', name: 'United States' },
            ],
          },
        },
      });
      expect((await post(system.gatewayUrl, { query: PARTIES }, reader)).body.data.agreement).toEqual({
        version: 2,
        parties: [{ id: 'canada' }, { id: 'g8' }, { id: 'united-states' }],
      });
    });
  });
  describe('sectors and threat focus areas, each behind its office’s write scope', () => {
    const ADD_DEPENDENCY = `mutation {
      addSectorDependency(sectorId: "chemical", dependsOnId: "dams", expectedVersion: 1, input: {
        source: { document: "Sector review", section: "Dependencies found in review", basis: PUBLIC_KNOWLEDGE } }) {
        version dependsOn { sector { id name } } } }`;
    const LINK_SECTOR = `mutation {
      addThreatFocusAreaSector(id: "rail-and-metro-security", sectorId: "chemical", expectedVersion: 1) {
        version affectedSectors { id name } } }`;

    it('refuses each without its scope, even with another office’s', async () => {
      const partnersWriter = writer;
      for (const query of [ADD_DEPENDENCY, LINK_SECTOR]) {
        const { body } = await post(system.gatewayUrl, { query }, partnersWriter);
        expect(body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHORIZED_FIELD_OR_TYPE' });
      }
      const { body } = await post(
        system.gatewayUrl,
        { query: '{ sector(id: "chemical") { version } threatFocusArea(id: "rail-and-metro-security") { version } }' },
        reader,
      );
      expect(body.data).toEqual({ sector: { version: 1 }, threatFocusArea: { version: 1 } });
    });

    it('writes each with its scope; the sector link is checked with the sectors office', async () => {
      const sectorsEditor = await makeToken({ scopes: ['sectors:write'] });
      const threatsEditor = await makeToken({ scopes: ['threats:write'] });
      const dependency = await post(system.gatewayUrl, { query: ADD_DEPENDENCY }, sectorsEditor);
      expect(dependency.body.errors).toBeUndefined();
      expect(dependency.body.data.addSectorDependency.version).toBe(2);
      expect(dependency.body.data.addSectorDependency.dependsOn).toContainEqual({
        sector: { id: 'dams', name: 'Dams' },
      });
      const linked = await post(system.gatewayUrl, { query: LINK_SECTOR }, threatsEditor);
      expect(linked.body.errors).toBeUndefined();
      expect(linked.body.data.addThreatFocusAreaSector.version).toBe(2);
      expect(linked.body.data.addThreatFocusAreaSector.affectedSectors).toContainEqual({
        id: 'chemical',
        name: 'Chemical',
      });
    });
  });
  describe('creating and archiving agreements, sectors and focus areas, each behind its office’s write scope', () => {
    const SOURCE = 'source: { document: "Office register", section: "Added in review", basis: PUBLIC_KNOWLEDGE }';
    const CREATE_AGREEMENT = `mutation {
      createAgreement(idempotencyKey: "mx-cyber-1", input: {
        id: "mexico-cyber-declaration", title: "Mexico Cyber Declaration", kind: DECLARATION, scope: BILATERAL,
        signed: { year: 2006 }, purpose: "Cooperation on cyber security.", partyIds: ["united-states", "mexico"],
        threatFocusAreaIds: ["cyber-security"], sectorIds: ["energy"], ${SOURCE} }) {
        id version archived parties { id name } sectors { name } threatFocusAreas { name } } }`;
    const ARCHIVE_AGREEMENT = `mutation {
      archiveAgreement(id: "mexico-cyber-declaration", expectedVersion: 1) { id version archived } }`;
    const CREATE_SECTOR = `mutation {
      createSector(input: { id: "critical-manufacturing", name: "Critical Manufacturing",
        agencies: [{ abbreviation: "DHS" }], ${SOURCE} }) { id version archived agencies { name } } }`;
    const CREATE_FOCUS_AREA = `mutation {
      createThreatFocusArea(input: { id: "supply-chain-security", name: "Supply chain security",
        description: "Threats to the supply chains of manufacturing.", category: CROSS_SECTOR,
        origin: { statement: "Office review" }, affectedSectorIds: ["critical-manufacturing"], ${SOURCE} }) {
        id version affectedSectors { id name } } }`;
    const LISTS = `{
      agreements(first: 100) { nodes { id } }
      agreement(id: "mexico-cyber-declaration") { archived }
      partner(id: "mexico") { agreements { nodes { id } } }
      sectors(first: 100) { nodes { id } }
      threatFocusAreas(first: 100) { nodes { id } } }`;
    const ids = (connection: { nodes: { id: string }[] }) => connection.nodes.map((node) => node.id);

    it('refuses each create without its office’s write scope, and nothing is created', async () => {
      const threatsEditor = await makeToken({ scopes: ['threats:write'] });
      for (const [query, token] of [
        [CREATE_AGREEMENT, writer],
        [CREATE_SECTOR, threatsEditor],
        [CREATE_FOCUS_AREA, await makeToken({ scopes: ['sectors:write'] })],
        [CREATE_AGREEMENT, undefined],
      ] as const) {
        const { body } = await post(system.gatewayUrl, { query }, token);
        expect(body.data).toBeNull();
        expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } })]);
      }
      const { body } = await post(
        system.gatewayUrl,
        {
          query: `{ agreement(id: "mexico-cyber-declaration") { id } sector(id: "critical-manufacturing") { id }
            threatFocusArea(id: "supply-chain-security") { id } }`,
        },
        reader,
      );
      expect(body).toEqual({ data: { agreement: null, sector: null, threatFocusArea: null } });
    });

    it('creates an agreement checked with the other offices, then archives it out of every list', async () => {
      const editor = await makeToken({ scopes: ['agreements:write'], subject: 'editor-3' });
      const unknownParty = await post(
        system.gatewayUrl,
        { query: CREATE_AGREEMENT.replace('"mexico"]', '"atlantis"]') },
        editor,
      );
      expect(unknownParty.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'input.partyIds.1',
      });
      const created = await post(system.gatewayUrl, { query: CREATE_AGREEMENT }, editor);
      expect(created.body).toEqual({
        data: {
          createAgreement: {
            id: 'mexico-cyber-declaration',
            version: 1,
            archived: false,
            parties: [
              { id: 'mexico', name: 'United Mexican States' },
              { id: 'united-states', name: 'United States' },
            ],
            sectors: [{ name: 'Energy' }],
            threatFocusAreas: [{ name: 'Cyber security' }],
          },
        },
      });
      expect((await post(system.gatewayUrl, { query: CREATE_AGREEMENT }, editor)).body).toEqual(created.body);
      const before = (await post(system.gatewayUrl, { query: LISTS }, reader)).body.data;
      expect(ids(before.agreements)).toContain('mexico-cyber-declaration');
      expect(ids(before.partner.agreements)).toContain('mexico-cyber-declaration');

      const archived = await post(system.gatewayUrl, { query: ARCHIVE_AGREEMENT }, editor);
      expect(archived.body).toEqual({
        data: { archiveAgreement: { id: 'mexico-cyber-declaration', version: 2, archived: true } },
      });
      const after = (await post(system.gatewayUrl, { query: LISTS }, reader)).body.data;
      expect(after.agreement).toEqual({ archived: true });
      expect(ids(after.agreements)).not.toContain('mexico-cyber-declaration');
      expect(ids(after.partner.agreements)).not.toContain('mexico-cyber-declaration');
      const stale = await post(system.gatewayUrl, { query: ARCHIVE_AGREEMENT }, editor);
      expect(stale.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });

      const auditor = await makeToken({ scopes: ['agreements:audit'] });
      const audit = await post(
        system.gatewayUrl,
        {
          query:
            '{ agreementAuditLog(agreementId: "mexico-cyber-declaration") { nodes { actor action agreementId } } }',
        },
        auditor,
      );
      expect(audit.body.data.agreementAuditLog.nodes).toEqual([
        { actor: 'editor-3', action: 'create', agreementId: 'mexico-cyber-declaration' },
        { actor: 'editor-3', action: 'archive', agreementId: 'mexico-cyber-declaration' },
      ]);
    });

    it('creates a sector, a focus area touching it (checked with the sectors office), and archives both', async () => {
      const sectorsEditor = await makeToken({ scopes: ['sectors:write'] });
      const threatsEditor = await makeToken({ scopes: ['threats:write'] });
      const sector = await post(system.gatewayUrl, { query: CREATE_SECTOR }, sectorsEditor);
      expect(sector.body).toEqual({
        data: {
          createSector: {
            id: 'critical-manufacturing',
            version: 1,
            archived: false,
            agencies: [{ name: 'Department of Homeland Security' }],
          },
        },
      });
      const focusArea = await post(system.gatewayUrl, { query: CREATE_FOCUS_AREA }, threatsEditor);
      expect(focusArea.body).toEqual({
        data: {
          createThreatFocusArea: {
            id: 'supply-chain-security',
            version: 1,
            affectedSectors: [{ id: 'critical-manufacturing', name: 'Critical Manufacturing' }],
          },
        },
      });
      const archiveFocusArea = await post(
        system.gatewayUrl,
        { query: 'mutation { archiveThreatFocusArea(id: "supply-chain-security", expectedVersion: 1) { archived } }' },
        threatsEditor,
      );
      expect(archiveFocusArea.body).toEqual({ data: { archiveThreatFocusArea: { archived: true } } });
      const archiveSector = await post(
        system.gatewayUrl,
        { query: 'mutation { archiveSector(id: "critical-manufacturing", expectedVersion: 1) { archived } }' },
        sectorsEditor,
      );
      expect(archiveSector.body).toEqual({ data: { archiveSector: { archived: true } } });
      const lists = (await post(system.gatewayUrl, { query: LISTS }, reader)).body.data;
      expect(ids(lists.sectors)).not.toContain('critical-manufacturing');
      expect(ids(lists.threatFocusAreas)).not.toContain('supply-chain-security');
      const linkArchived = await post(
        system.gatewayUrl,
        {
          query:
            'mutation { addThreatFocusAreaSector(id: "cyber-security", sectorId: "critical-manufacturing", expectedVersion: 1) { version } }',
        },
        threatsEditor,
      );
      expect(linkArchived.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'sectorId' });
    });
  });
});
