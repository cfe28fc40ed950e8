import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SectorsContext } from './context.js';
import { sectorsSubgraph } from './server.js';

const DOCUMENT = 'National Infrastructure Protection Plan (2006)';
const HUBS = ['energy', 'information-technology', 'telecommunications', 'transportation-systems'];
const SECTOR_IDS = [
  'agriculture-and-food',
  'banking-and-finance',
  'chemical',
  'commercial-facilities',
  'commercial-nuclear-reactors-materials-and-waste',
  'dams',
  'defense-industrial-base',
  'drinking-water-and-water-treatment-systems',
  'emergency-services',
  'energy',
  'government-facilities',
  'information-technology',
  'national-monuments-and-icons',
  'postal-and-shipping',
  'public-health-and-healthcare',
  'telecommunications',
  'transportation-systems',
];
const othersThan = (id: string) => SECTOR_IDS.filter((other) => other !== id);

interface Step {
  sector: { id: string };
  hops: number;
  path: { id: string }[];
}

describeEachStore('sectors subgraph on $kind', (store) => {
  let subgraph: TestSubgraph<SectorsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(sectorsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  it('looks a sector up by id, with its agencies in the plan order and its source', async () => {
    const result = await subgraph.execute(`{
      transportation: sector(id: "transportation-systems") { id name agencies { abbreviation name scope } source { document section basis } }
      agriculture: sector(id: "agriculture-and-food") { name agencies { abbreviation name scope } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      transportation: {
        id: 'transportation-systems',
        name: 'Transportation Systems',
        agencies: [
          { abbreviation: 'DHS', name: 'Department of Homeland Security', scope: null },
          { abbreviation: 'USCG', name: 'United States Coast Guard', scope: 'maritime' },
        ],
        source: {
          document: DOCUMENT,
          section: 'The 17 CI/KR sectors and their sector-specific agencies',
          basis: 'PUBLIC_KNOWLEDGE',
        },
      },
      agriculture: {
        name: 'Agriculture and Food',
        agencies: [
          { abbreviation: 'USDA', name: 'Department of Agriculture', scope: null },
          {
            abbreviation: 'HHS/FDA',
            name: 'Department of Health and Human Services, Food and Drug Administration',
            scope: null,
          },
        ],
      },
    });
  });

  it('holds the 17 sectors of the plan, ordered by id', async () => {
    const result = await subgraph.execute(
      '{ sectors(first: 100) { totalCount nodes { id } pageInfo { hasNextPage } } }',
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.sectors).toEqual({
      totalCount: 17,
      nodes: SECTOR_IDS.map((id) => ({ id })),
      pageInfo: { hasNextPage: false },
    });
  });

  it.each(['atlantis', '', "energy' OR '1'='1", 'ENERGY', 'x'.repeat(10_000)])(
    'answers null, not an error, for the unknown id %#',
    async (id) => {
      const result = await subgraph.execute('query ($id: ID!) { sector(id: $id) { id } }', { id });
      expect(result).toEqual({ data: { sector: null } });
    },
  );

  it('has every other sector depend on energy, with no degree, as the plan states', async () => {
    const result = await subgraph.execute(`{
      sector(id: "energy") {
        dependents { sector { id } degree source { document section basis } }
        dependsOn { sector { id } degree }
      }
    }`);
    expect(result.errors).toBeUndefined();
    const energy = result.data?.sector as any;
    expect(energy.dependents.map((dependency: { sector: { id: string } }) => dependency.sector.id)).toEqual(
      othersThan('energy'),
    );
    for (const dependency of energy.dependents) {
      expect(dependency.degree).toBeNull();
      expect(dependency.source).toEqual({
        document: DOCUMENT,
        section: 'International CI/KR protection: global dependencies and interdependencies',
        basis: 'STATED_IN_TEXT',
      });
    }
    // The four hub sectors depend on each other, never on themselves.
    expect(energy.dependsOn).toEqual(
      HUBS.filter((id) => id !== 'energy').map((id) => ({ sector: { id }, degree: null })),
    );
  });

  it('has a non-hub sector depend on the four hubs, and nothing depend on it', async () => {
    const result = await subgraph.execute(
      '{ sector(id: "dams") { dependsOn { sector { id } } dependents { sector { id } } } }',
    );
    expect(result.data?.sector).toEqual({ dependsOn: HUBS.map((id) => ({ sector: { id } })), dependents: [] });
  });

  it('cascades a disruption in energy to every other sector in one hop', async () => {
    const result = await subgraph.execute(
      '{ sector(id: "energy") { cascade(maxHops: 1) { sector { id } hops path { id } } } }',
    );
    expect(result.errors).toBeUndefined();
    expect((result.data?.sector as { cascade: Step[] }).cascade).toEqual(
      othersThan('energy').map((id) => ({ sector: { id }, hops: 1, path: [{ id: 'energy' }, { id }] })),
    );
  });

  it('cascades nowhere from a sector nothing depends on', async () => {
    const result = await subgraph.execute('{ sector(id: "dams") { cascade(maxHops: 10) { sector { id } } } }');
    expect(result).toEqual({ data: { sector: { cascade: [] } } });
  });

  it('reaches each sector once, at its fewest hops, and never the start again through a cycle', async () => {
    const result = await subgraph.execute(
      '{ sector(id: "information-technology") { cascade(maxHops: 2) { sector { id } hops path { id } } } }',
    );
    expect(result.errors).toBeUndefined();
    expect((result.data?.sector as { cascade: Step[] }).cascade).toEqual(
      othersThan('information-technology').map((id) => ({
        sector: { id },
        hops: 1,
        path: [{ id: 'information-technology' }, { id }],
      })),
    );
  });

  it('uses three hops by default, and when maxHops is null', async () => {
    const result = await subgraph.execute(`{
      omitted: sector(id: "telecommunications") { cascade { hops } }
      nulled: sector(id: "telecommunications") { cascade(maxHops: null) { hops } }
    }`);
    expect(result.errors).toBeUndefined();
    const data = result.data as { omitted: { cascade: unknown[] }; nulled: { cascade: unknown[] } };
    expect(data.omitted.cascade).toHaveLength(16);
    expect(data.nulled.cascade).toEqual(data.omitted.cascade);
  });

  it.each([0, 11, -1])('refuses maxHops %i, naming the argument', async (maxHops) => {
    const result = await subgraph.execute(
      'query ($maxHops: Int) { sector(id: "energy") { cascade(maxHops: $maxHops) { hops } } }',
      { maxHops },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'maxHops' });
  });

  it('filters by agency and by dependency, every filter given matching', async () => {
    const result = await subgraph.execute(`{
      dhs: sectors(filter: { agency: "DHS" }) { totalCount nodes { id } }
      coastGuard: sectors(filter: { agency: "USCG" }) { nodes { id } }
      fda: sectors(filter: { agency: "HHS/FDA" }) { nodes { id } }
      onEnergy: sectors(filter: { dependsOn: "energy" }) { totalCount }
      onDams: sectors(filter: { dependsOn: "dams" }) { totalCount nodes { id } }
      both: sectors(filter: { agency: "DHS", dependsOn: "energy" }) { totalCount }
      unknownAgency: sectors(filter: { agency: "NASA" }) { totalCount nodes { id } pageInfo { hasNextPage endCursor } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      dhs: {
        totalCount: 10,
        nodes: [
          'chemical',
          'commercial-facilities',
          'commercial-nuclear-reactors-materials-and-waste',
          'dams',
          'emergency-services',
          'government-facilities',
          'information-technology',
          'postal-and-shipping',
          'telecommunications',
          'transportation-systems',
        ].map((id) => ({ id })),
      },
      coastGuard: { nodes: [{ id: 'transportation-systems' }] },
      fda: { nodes: [{ id: 'agriculture-and-food' }] },
      onEnergy: { totalCount: 16 },
      onDams: { totalCount: 0, nodes: [] },
      // None of the ten DHS sectors is energy, so all ten depend on it.
      both: { totalCount: 10 },
      unknownAgency: { totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } },
    });
  });

  it('pages through every sector with cursors, each sector once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result = await subgraph.execute(
        'query ($after: String) { sectors(first: 5, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = result.data?.sectors as {
        totalCount: number;
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(page.totalCount).toBe(17);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(SECTOR_IDS);
  });

  it('refuses a page size out of bounds and a forged cursor, naming the argument', async () => {
    const tooMany = await subgraph.execute('{ sectors(first: 101) { totalCount } }');
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const negative = await subgraph.execute('{ sectors(first: -1) { totalCount } }');
    expect(negative.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const forged = await subgraph.execute('{ sectors(after: "not-a-cursor") { totalCount } }');
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('resolves an _entities batch of every sector and an unknown id with one statement', async () => {
    const ids = [...SECTOR_IDS.slice(0, 8), 'nope', ...SECTOR_IDS.slice(8)];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Sector { id name agencies { abbreviation } } } }',
        {
          r: ids.map((id) => ({ __typename: 'Sector', id })),
        },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect((result.data?._entities as ({ id: string } | null)[]).map((entity) => entity?.id ?? null)).toEqual(
      ids.map((id) => (id === 'nope' ? null : id)),
    );
  });

  it('costs a fixed number of statements for a nested query, not one per row', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(`{
        sectors(first: 100) {
          nodes {
            id
            dependsOn { sector { id dependents { sector { name } } } }
            cascade { path { name } }
          }
        }
      }`),
    );
    expect(result.errors).toBeUndefined();
    const nodes = (result.data?.sectors as { nodes: { dependsOn: unknown[]; cascade: unknown[] }[] }).nodes;
    expect(nodes).toHaveLength(17);
    expect(nodes.flatMap((node) => node.dependsOn)).toHaveLength(64);
    // The sectors page, dependsOn, the dependency graph (for all 17 cascades) and dependents: the page
    // already holds every sector, so the sectors at the other ends cost nothing more.
    expect(statements).toHaveLength(4);
  });
});
