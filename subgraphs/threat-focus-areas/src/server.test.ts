import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ThreatFocusAreasContext } from './context.js';
import { threatFocusAreasSubgraph } from './server.js';

const ALL_FOCUS_AREAS = [
  'cross-border-ci-kr',
  'cyber-security',
  'foreign-investment',
  'global-interdependencies',
  'international-vulnerabilities',
  'rail-and-metro-security',
  'terrorist-movement-information-sharing',
  'transportation-infrastructure-threat',
];

const ALL_SECTORS = [
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

const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id);

describeEachStore('threat-focus-areas subgraph on $kind', (store) => {
  let subgraph: TestSubgraph<ThreatFocusAreasContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(threatFocusAreasSubgraph, store);
  });
  afterAll(() => subgraph.close());

  it('looks a focus area up by id, with its origin, sectors and source', async () => {
    const result = await subgraph.execute(`{
      threatFocusArea(id: "rail-and-metro-security") {
        id name description category
        origin { statement namedBy { id } }
        affectedSectors { id }
        source { document section basis }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.threatFocusArea).toEqual({
      id: 'rail-and-metro-security',
      name: 'Rail and metro security',
      description: 'To promote best practices for rail and metro security.',
      category: 'COUNTER_TERRORISM',
      origin: {
        statement: 'G8 Statement on Counter-Terrorism (July 2005)',
        namedBy: { id: 'g8-counter-terrorism-statement' },
      },
      affectedSectors: [{ id: 'transportation-systems' }],
      source: {
        document: 'National Infrastructure Protection Plan (2006)',
        section: 'Key partners: Group of Eight',
        basis: 'STATED_IN_TEXT',
      },
    });
  });

  it('holds the eight focus areas; only the G8 three are named by an agreement', async () => {
    const result = await subgraph.execute(`{
      threatFocusAreas(first: 100) { totalCount nodes { id category origin { namedBy { id } } source { document } } }
    }`);
    expect(result.errors).toBeUndefined();
    const { totalCount, nodes } = result.data?.threatFocusAreas as {
      totalCount: number;
      nodes: {
        id: string;
        category: string;
        origin: { namedBy: { id: string } | null };
        source: { document: string };
      }[];
    };
    expect(totalCount).toBe(8);
    expect(ids(nodes)).toEqual(ALL_FOCUS_AREAS);
    expect(nodes.filter((node) => node.origin.namedBy !== null)).toEqual(
      ['rail-and-metro-security', 'terrorist-movement-information-sharing', 'transportation-infrastructure-threat'].map(
        (id) => ({
          id,
          category: 'COUNTER_TERRORISM',
          origin: { namedBy: { id: 'g8-counter-terrorism-statement' } },
          source: { document: 'National Infrastructure Protection Plan (2006)' },
        }),
      ),
    );
    expect(new Set(nodes.map((node) => node.source.document))).toEqual(
      new Set(['National Infrastructure Protection Plan (2006)']),
    );
  });

  it('gives cross-sector issues all 17 sectors and global ones the four global sectors, ordered by id', async () => {
    const result = await subgraph.execute(`{
      cyber: threatFocusArea(id: "cyber-security") { origin { statement namedBy { id } } affectedSectors { id } }
      global: threatFocusArea(id: "global-interdependencies") { affectedSectors { id } }
    }`);
    expect(result.errors).toBeUndefined();
    const data = result.data as { cyber: any; global: any };
    expect(data.cyber.origin).toEqual({
      statement: 'NIPP strategy for international CI/KR protection: cross-sector and global issues',
      namedBy: null,
    });
    expect(ids(data.cyber.affectedSectors)).toEqual(ALL_SECTORS);
    expect(ids(data.global.affectedSectors)).toEqual([
      'energy',
      'information-technology',
      'telecommunications',
      'transportation-systems',
    ]);
  });

  it.each(['atlantis', '', "cyber-security' OR '1'='1", 'x'.repeat(10_000)])(
    'answers null, not an error, for the unknown id %#',
    async (id) => {
      const result = await subgraph.execute('query ($id: ID!) { threatFocusArea(id: $id) { id } }', { id });
      expect(result).toEqual({ data: { threatFocusArea: null } });
    },
  );

  it.each([
    [
      { category: 'COUNTER_TERRORISM' },
      ['rail-and-metro-security', 'terrorist-movement-information-sharing', 'transportation-infrastructure-threat'],
    ],
    [{ category: 'CROSS_SECTOR' }, ['cyber-security', 'foreign-investment']],
    [{ affectsSector: 'dams' }, ['cyber-security', 'foreign-investment']],
    [{ affectsSector: 'transportation-systems' }, ALL_FOCUS_AREAS],
    [
      { category: 'GLOBAL_INFRASTRUCTURE', affectsSector: 'energy' },
      ['cross-border-ci-kr', 'global-interdependencies', 'international-vulnerabilities'],
    ],
    [{ category: 'GLOBAL_INFRASTRUCTURE', affectsSector: 'dams' }, []],
    [{ affectsSector: 'atlantis' }, []],
  ])('filters by %j', async (filter, expected) => {
    const result = await subgraph.execute(
      'query ($filter: ThreatFocusAreaFilter) { threatFocusAreas(filter: $filter) { totalCount nodes { id } } }',
      { filter },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.threatFocusAreas).toEqual({
      totalCount: expected.length,
      nodes: expected.map((id) => ({ id })),
    });
  });

  it('pages through every focus area with cursors, each once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result = await subgraph.execute(
        'query ($after: String) { threatFocusAreas(first: 3, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = result.data?.threatFocusAreas as {
        totalCount: number;
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(page.totalCount).toBe(8);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ALL_FOCUS_AREAS);
  });

  it.each([
    ['{ threatFocusAreas(first: 101) { totalCount } }', 'first'],
    ['{ threatFocusAreas(first: -1) { totalCount } }', 'first'],
    ['{ threatFocusAreas(after: "not-a-cursor") { totalCount } }', 'after'],
  ])('refuses %s, naming the argument', async (query, argument) => {
    const result = await subgraph.execute(query);
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument });
  });

  it('resolves a ThreatFocusArea _entities batch of any size with one statement, unknown ids as null', async () => {
    const requested = [
      'cyber-security',
      'nope',
      'rail-and-metro-security',
      'dams',
      'foreign-investment',
      'cross-border-ci-kr',
    ];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on ThreatFocusArea { id name } } }',
        {
          r: requested.map((id) => ({ __typename: 'ThreatFocusArea', id })),
        },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect((result.data?._entities as ({ id: string } | null)[]).map((entity) => entity?.id ?? null)).toEqual([
      'cyber-security',
      null,
      'rail-and-metro-security',
      null,
      'foreign-investment',
      'cross-border-ci-kr',
    ]);
  });

  it("resolves a Sector _entities batch's focus areas with one statement, an unknown sector as none", async () => {
    const requested = ['transportation-systems', 'dams', 'atlantis', 'energy'];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Sector { id threatFocusAreas { id } } } }',
        {
          r: requested.map((id) => ({ __typename: 'Sector', id })),
        },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    const sectors = result.data?._entities as { id: string; threatFocusAreas: { id: string }[] }[];
    expect(sectors.map((sector) => [sector.id, ids(sector.threatFocusAreas)])).toEqual([
      ['transportation-systems', ALL_FOCUS_AREAS],
      ['dams', ['cyber-security', 'foreign-investment']],
      ['atlantis', []],
      [
        'energy',
        [
          'cross-border-ci-kr',
          'cyber-security',
          'foreign-investment',
          'global-interdependencies',
          'international-vulnerabilities',
        ],
      ],
    ]);
  });

  it('costs one statement per level of a nested list, not one per row', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(`{
        threatFocusAreas(first: 100) {
          nodes { id affectedSectors { id threatFocusAreas { id name affectedSectors { id } } } }
        }
      }`),
    );
    expect(result.errors).toBeUndefined();
    // The page, the focus areas' sectors, the sectors' focus areas; the innermost sectors are the
    // same focus areas' and come from the loader's cache.
    expect(statements).toHaveLength(3);
  });
});
