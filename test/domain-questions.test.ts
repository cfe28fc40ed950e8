import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';

/** Every question of shared/domain.md ("Questions the users ask"), asked through the gateway. */
describe('the questions users ask, answered through the gateway', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.stop());

  it("a partner's profile crosses all four offices in one query", async () => {
    const { data, errors } = await system.query(`{
      partner(id: "canada") {
        name
        memberOf { organization { shortName bodies { name } } asOfYear }
        agreements {
          totalCount
          nodes {
            title
            signed { year text }
            threatFocusAreas { name affectedSectors { name } }
            sectors { name agencies { abbreviation } }
          }
        }
      }
    }`);
    expect(errors).toBeUndefined();
    const canada = data!.partner;
    expect(canada.name).toBe('Canada');
    expect(canada.agreements.totalCount).toBe(2);
    expect(canada.agreements.nodes.map((a: any) => [a.title, a.signed.year])).toEqual([
      ['Security and Prosperity Partnership of North America', 2005],
      ['Smart Border Declaration', 2001],
    ]);
    const spp = canada.agreements.nodes[0];
    expect(spp.threatFocusAreas.map((t: any) => t.name)).toEqual(['Cross-border CI/KR']);
    expect(spp.threatFocusAreas[0].affectedSectors.map((s: any) => s.name)).toEqual([
      'Energy',
      'Information Technology',
      'Telecommunications',
      'Transportation Systems',
    ]);
    expect(spp.sectors).toEqual([
      { name: 'Transportation Systems', agencies: [{ abbreviation: 'DHS' }, { abbreviation: 'USCG' }] },
    ]);
    expect(canada.memberOf).toEqual([
      { organization: { shortName: 'G8', bodies: [] }, asOfYear: 2005 },
      {
        organization: {
          shortName: 'NATO',
          bodies: [{ name: 'North Atlantic Council' }, { name: 'Senior Civil Emergency Planning Committee' }],
        },
        asOfYear: 2006,
      },
    ]);
  });

  it('NATO works through the Senior Civil Emergency Planning Committee, which advises the North Atlantic Council', async () => {
    const { data } = await system.query(`{
      partner(id: "nato") { kind members { totalCount } bodies { name description advises { name } } agreements { nodes { id } } }
    }`);
    expect(data!.partner.kind).toBe('INTERNATIONAL_ORGANIZATION');
    expect(data!.partner.members.totalCount).toBe(26);
    expect(data!.partner.bodies[1]).toMatchObject({
      name: 'Senior Civil Emergency Planning Committee',
      advises: { name: 'North Atlantic Council' },
    });
    expect(data!.partner.agreements.nodes).toEqual([{ id: 'nato-sc-epc' }]);
  });

  it('which agreements address a threat focus area, with their parties', async () => {
    const { data, errors } = await system.query(`{
      threatFocusArea(id: "rail-and-metro-security") {
        name
        origin { statement namedBy { id title } }
        agreements { nodes { title parties { name } } }
      }
    }`);
    expect(errors).toBeUndefined();
    expect(data!.threatFocusArea).toEqual({
      name: 'Rail and metro security',
      origin: {
        statement: 'G8 Statement on Counter-Terrorism (July 2005)',
        namedBy: { id: 'g8-counter-terrorism-statement', title: 'G8 Statement on Counter-Terrorism' },
      },
      agreements: {
        nodes: [
          {
            title: 'G8 Statement on Counter-Terrorism',
            parties: [{ name: 'Group of Eight (G8)' }, { name: 'United States' }],
          },
        ],
      },
    });
  });

  it('the G8 statement covers exactly its three focus areas', async () => {
    const { data } = await system.query(`{
      agreement(id: "g8-counter-terrorism-statement") { signed { text precision } threatFocusAreas { id category } }
    }`);
    expect(data!.agreement.signed).toEqual({ text: 'July 2005', precision: 'MONTH' });
    expect(data!.agreement.threatFocusAreas).toEqual([
      { id: 'rail-and-metro-security', category: 'COUNTER_TERRORISM' },
      { id: 'terrorist-movement-information-sharing', category: 'COUNTER_TERRORISM' },
      { id: 'transportation-infrastructure-threat', category: 'COUNTER_TERRORISM' },
    ]);
  });

  it('a sector: its agency, dependencies, dependents, focus areas, agreements', async () => {
    const { data, errors } = await system.query(`{
      sector(id: "transportation-systems") {
        name
        agencies { abbreviation scope }
        dependsOn { sector { id } degree }
        dependents { sector { id } }
        threatFocusAreas { id }
        agreements { nodes { id } }
      }
    }`);
    expect(errors).toBeUndefined();
    const sector = data!.sector;
    expect(sector.agencies).toEqual([
      { abbreviation: 'DHS', scope: null },
      { abbreviation: 'USCG', scope: 'maritime' },
    ]);
    expect(sector.dependsOn).toEqual([
      { sector: { id: 'energy' }, degree: null },
      { sector: { id: 'information-technology' }, degree: null },
      { sector: { id: 'telecommunications' }, degree: null },
    ]);
    expect(sector.dependents).toHaveLength(16);
    expect(sector.threatFocusAreas).toHaveLength(8);
    expect(sector.agreements.nodes).toEqual([
      { id: 'g8-counter-terrorism-statement' },
      { id: 'security-and-prosperity-partnership' },
    ]);
  });

  it('a disruption in Energy reaches every other sector within one hop', async () => {
    const { data } = await system.query(`{
      sector(id: "energy") { cascade(maxHops: 1) { hops sector { id } path { id } } }
      sectors(first: 100) { totalCount }
    }`);
    const cascade = data!.sector.cascade as { hops: number; sector: { id: string }; path: { id: string }[] }[];
    expect(data!.sectors.totalCount).toBe(17);
    expect(cascade).toHaveLength(16);
    for (const step of cascade) {
      expect(step.hops).toBe(1);
      expect(step.path.map((s) => s.id)).toEqual(['energy', step.sector.id]);
    }
  });

  it('a disruption in Dams reaches nothing: no sector depends on it', async () => {
    const { data } = await system.query('{ sector(id: "dams") { cascade(maxHops: 5) { sector { id } } } }');
    expect(data!.sector.cascade).toEqual([]);
  });

  it('everything with a land-border partner', async () => {
    const { data } = await system.query(`{
      partners(filter: { sharesLandBorderWithUnitedStates: true }) {
        nodes { id agreements { nodes { id } } }
      }
    }`);
    expect(data!.partners.nodes).toEqual([
      {
        id: 'canada',
        agreements: { nodes: [{ id: 'security-and-prosperity-partnership' }, { id: 'smart-border-declaration' }] },
      },
      {
        id: 'mexico',
        agreements: {
          nodes: [{ id: 'border-partnership-declaration' }, { id: 'security-and-prosperity-partnership' }],
        },
      },
    ]);
  });

  it('everything signed since a given year', async () => {
    const { data } = await system.query(`{
      agreements(filter: { signedOnOrAfterYear: 2005 }) { nodes { id signed { text } parties { id } } }
    }`);
    expect(data!.agreements.nodes).toEqual([
      {
        id: 'g8-counter-terrorism-statement',
        signed: { text: 'July 2005' },
        parties: [{ id: 'g8' }, { id: 'united-states' }],
      },
      {
        id: 'security-and-prosperity-partnership',
        signed: { text: '2005' },
        parties: [{ id: 'canada' }, { id: 'mexico' }, { id: 'united-states' }],
      },
    ]);
  });

  it('every record says where its facts come from', async () => {
    const { data } = await system.query(`{
      partner(id: "mexico") { source { document section basis } }
      agreement(id: "uk-joint-contact-group") { signed { text precision } source { section basis } }
      sector(id: "dams") { source { basis } dependsOn { source { basis } } }
      threatFocusArea(id: "cyber-security") { source { basis } }
    }`);
    expect(data!.partner.source).toEqual({
      document: 'National Infrastructure Protection Plan (2006)',
      section: 'Key partners: Canada and Mexico',
      basis: 'STATED_IN_TEXT',
    });
    expect(data!.agreement).toEqual({
      signed: { text: 'unknown', precision: 'UNKNOWN' },
      source: { section: 'Key partners: United Kingdom', basis: 'STATED_IN_TEXT' },
    });
    expect(data!.sector.source.basis).toBe('PUBLIC_KNOWLEDGE');
    expect(data!.sector.dependsOn[0].source.basis).toBe('STATED_IN_TEXT');
    expect(data!.threatFocusArea.source.basis).toBe('STATED_IN_TEXT');
  });
});
