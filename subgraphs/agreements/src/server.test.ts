import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AgreementsContext } from './context.js';
import { agreementsSubgraph } from './server.js';

const ALL_IDS = [
  'border-partnership-declaration',
  'g8-counter-terrorism-statement',
  'nato-sc-epc',
  'security-and-prosperity-partnership',
  'smart-border-declaration',
  'uk-joint-contact-group',
];

type Connection = { totalCount: number; nodes: { id: string }[] };
const idsOf = (connection: unknown) => (connection as Connection).nodes.map((node) => node.id);

describeEachStore('agreements subgraph on $kind', (store) => {
  let subgraph: TestSubgraph<AgreementsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(agreementsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  it('looks an agreement up by id, with what it covers and its source', async () => {
    const result = await subgraph.execute(`{
      agreement(id: "security-and-prosperity-partnership") {
        id title shortTitle kind scope signed { year month precision text } purpose
        parties { id } threatFocusAreas { id } sectors { id } source { document section basis }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.agreement).toEqual({
      id: 'security-and-prosperity-partnership',
      title: 'Security and Prosperity Partnership of North America',
      shortTitle: 'SPP',
      kind: 'PARTNERSHIP',
      scope: 'TRILATERAL',
      signed: { year: 2005, month: null, precision: 'YEAR', text: '2005' },
      purpose:
        'A common approach to security to protect North America from external threats, prevent and respond to threats, and further streamline the secure and efficient movement of legitimate, low-risk traffic across the shared borders.',
      parties: [{ id: 'canada' }, { id: 'mexico' }, { id: 'united-states' }],
      threatFocusAreas: [{ id: 'cross-border-ci-kr' }],
      sectors: [{ id: 'transportation-systems' }],
      source: {
        document: 'National Infrastructure Protection Plan (2006)',
        section: 'Key partners: Canada and Mexico',
        basis: 'STATED_IN_TEXT',
      },
    });
  });

  it.each(['atlantis', '', "smart-border-declaration' OR '1'='1", 'x'.repeat(10_000)])(
    'answers null, not an error, for the unknown id %#',
    async (id) => {
      const result = await subgraph.execute('query ($id: ID!) { agreement(id: $id) { id } }', { id });
      expect(result).toEqual({ data: { agreement: null } });
    },
  );

  it('gives each signing date as precisely as the source does, with its text', async () => {
    const result = await subgraph.execute('{ agreements { nodes { id signed { year month precision text } } } }');
    expect(result.errors).toBeUndefined();
    const signed = Object.fromEntries(
      (result.data?.agreements as { nodes: { id: string; signed: unknown }[] }).nodes.map(({ id, signed }) => [
        id,
        signed,
      ]),
    );
    expect(signed).toEqual({
      'border-partnership-declaration': { year: 2002, month: null, precision: 'YEAR', text: '2002' },
      'g8-counter-terrorism-statement': { year: 2005, month: 7, precision: 'MONTH', text: 'July 2005' },
      'nato-sc-epc': { year: null, month: null, precision: 'UNKNOWN', text: 'unknown' },
      'security-and-prosperity-partnership': { year: 2005, month: null, precision: 'YEAR', text: '2005' },
      'smart-border-declaration': { year: 2001, month: null, precision: 'YEAR', text: '2001' },
      'uk-joint-contact-group': { year: null, month: null, precision: 'UNKNOWN', text: 'unknown' },
    });
  });

  it('makes the United States a party to every agreement', async () => {
    const result = await subgraph.execute('{ agreements(first: 100) { totalCount nodes { id parties { id } } } }');
    const page = result.data?.agreements as { totalCount: number; nodes: { id: string; parties: { id: string }[] }[] };
    expect(page.totalCount).toBe(6);
    expect(page.nodes.map((node) => node.id)).toEqual(ALL_IDS);
    for (const node of page.nodes) expect(node.parties).toContainEqual({ id: 'united-states' });
  });

  it.each([
    ['partyId: "canada"', ['security-and-prosperity-partnership', 'smart-border-declaration']],
    ['partyId: "united-states"', ALL_IDS],
    ['partyId: "atlantis"', []],
    [
      'partyIdsAny: ["mexico", "g8"]',
      ['border-partnership-declaration', 'g8-counter-terrorism-statement', 'security-and-prosperity-partnership'],
    ],
    ['partyIdsAny: []', []],
    ['threatFocusAreaId: "rail-and-metro-security"', ['g8-counter-terrorism-statement']],
    [
      'threatFocusAreaId: "cross-border-ci-kr"',
      ['border-partnership-declaration', 'security-and-prosperity-partnership', 'smart-border-declaration'],
    ],
    ['sectorId: "transportation-systems"', ['g8-counter-terrorism-statement', 'security-and-prosperity-partnership']],
    ['kind: DECLARATION', ['border-partnership-declaration', 'smart-border-declaration']],
    ['kind: COMMITTEE', ['nato-sc-epc']],
    ['scope: MULTILATERAL', ['g8-counter-terrorism-statement', 'nato-sc-epc']],
    ['scope: TRILATERAL', ['security-and-prosperity-partnership']],
    ['signedOnOrAfterYear: 2005', ['g8-counter-terrorism-statement', 'security-and-prosperity-partnership']],
    [
      'signedOnOrAfterYear: 1900',
      [
        'border-partnership-declaration',
        'g8-counter-terrorism-statement',
        'security-and-prosperity-partnership',
        'smart-border-declaration',
      ],
    ],
    ['signedOnOrAfterYear: 2006', []],
    ['partyId: "canada", signedOnOrAfterYear: 2002', ['security-and-prosperity-partnership']],
    [
      'partyIdsAny: ["canada", "united-kingdom"], scope: BILATERAL',
      ['smart-border-declaration', 'uk-joint-contact-group'],
    ],
  ])('filters on { %s }', async (filter, expected) => {
    const result = await subgraph.execute(`{ agreements(filter: { ${filter} }) { totalCount nodes { id } } }`);
    expect(result.errors).toBeUndefined();
    expect(idsOf(result.data?.agreements)).toEqual(expected);
    expect((result.data?.agreements as Connection).totalCount).toBe(expected.length);
  });

  it.each([1899, 2101, -1, 2_147_483_647])('refuses signedOnOrAfterYear %i, naming the argument', async (year) => {
    const result = await subgraph.execute(
      'query ($y: Int) { agreements(filter: { signedOnOrAfterYear: $y }) { totalCount } }',
      {
        y: year,
      },
    );
    expect(result.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      argument: 'filter.signedOnOrAfterYear',
    });
  });

  it('pages through every agreement with cursors, each agreement once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result = await subgraph.execute(
        'query ($after: String) { agreements(first: 4, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = result.data?.agreements as {
        totalCount: number;
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(page.totalCount).toBe(6);
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
      seen.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ALL_IDS);
  });

  it('answers an empty page after the last cursor, and first: 0 with the count only', async () => {
    const first = await subgraph.execute('{ agreements(first: 6) { pageInfo { hasNextPage endCursor } } }');
    const { endCursor, hasNextPage } = (
      first.data?.agreements as { pageInfo: { hasNextPage: boolean; endCursor: string } }
    ).pageInfo;
    expect(hasNextPage).toBe(false);
    const past = await subgraph.execute(
      'query ($after: String) { agreements(after: $after) { totalCount nodes { id } } }',
      {
        after: endCursor,
      },
    );
    expect(past.data?.agreements).toEqual({ totalCount: 6, nodes: [] });
    const none = await subgraph.execute(
      '{ agreements(first: 0) { totalCount nodes { id } pageInfo { hasNextPage } } }',
    );
    expect(none.data?.agreements).toEqual({ totalCount: 6, nodes: [], pageInfo: { hasNextPage: true } });
  });

  it('refuses a page size out of bounds and a forged cursor, naming the argument', async () => {
    for (const query of [
      '{ agreements(first: 101) { totalCount } }',
      '{ agreements(first: -1) { totalCount } }',
      '{ partner: _entities(representations: [{ __typename: "Partner", id: "canada" }]) { ... on Partner { agreements(first: 101) { totalCount } } } }',
    ]) {
      const result = await subgraph.execute(query);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    }
    const forged = await subgraph.execute('{ agreements(after: "not-a-cursor") { totalCount } }');
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('resolves an _entities batch of agreements with one statement, unknown ids as null', async () => {
    const ids = ['nato-sc-epc', 'nope', 'smart-border-declaration', 'uk-joint-contact-group', ''];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Agreement { id shortTitle } } }',
        {
          r: ids.map((id) => ({ __typename: 'Agreement', id })),
        },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(result.data?._entities).toEqual([
      { id: 'nato-sc-epc', shortTitle: 'SCEPC' },
      null,
      { id: 'smart-border-declaration', shortTitle: null },
      { id: 'uk-joint-contact-group', shortTitle: null },
      null,
    ]);
  });

  it('gives the agreements of a batch of partners with one statement, an unknown partner none', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { id agreements { totalCount nodes { id } } } } }',
        { r: ['canada', 'mexico', 'atlantis'].map((id) => ({ __typename: 'Partner', id })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(result.data?._entities).toEqual([
      {
        id: 'canada',
        agreements: {
          totalCount: 2,
          nodes: [{ id: 'security-and-prosperity-partnership' }, { id: 'smart-border-declaration' }],
        },
      },
      {
        id: 'mexico',
        agreements: {
          totalCount: 2,
          nodes: [{ id: 'border-partnership-declaration' }, { id: 'security-and-prosperity-partnership' }],
        },
      },
      { id: 'atlantis', agreements: { totalCount: 0, nodes: [] } },
    ]);
  });

  it('pages a partner’s agreements, counting all of them', async () => {
    const first = await subgraph.execute(
      '{ _entities(representations: [{ __typename: "Partner", id: "united-states" }]) { ... on Partner { agreements(first: 4) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } } } }',
    );
    const page = (first.data?._entities as { agreements: Connection & { pageInfo: { endCursor: string } } }[])[0]!
      .agreements;
    expect(page.totalCount).toBe(6);
    expect(idsOf(page)).toEqual(ALL_IDS.slice(0, 4));
    const rest = await subgraph.execute(
      'query ($after: String) { _entities(representations: [{ __typename: "Partner", id: "united-states" }]) { ... on Partner { agreements(after: $after) { totalCount nodes { id } pageInfo { hasNextPage } } } } }',
      { after: page.pageInfo.endCursor },
    );
    expect((rest.data?._entities as { agreements: unknown }[])[0]!.agreements).toEqual({
      totalCount: 6,
      nodes: [{ id: 'smart-border-declaration' }, { id: 'uk-joint-contact-group' }],
      pageInfo: { hasNextPage: false },
    });
  });

  it('gives the agreements of a batch of sectors with one statement', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Sector { id agreements { totalCount nodes { id } } } } }',
        { r: ['transportation-systems', 'energy', 'dams'].map((id) => ({ __typename: 'Sector', id })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(result.data?._entities).toEqual([
      {
        id: 'transportation-systems',
        agreements: {
          totalCount: 2,
          nodes: [{ id: 'g8-counter-terrorism-statement' }, { id: 'security-and-prosperity-partnership' }],
        },
      },
      { id: 'energy', agreements: { totalCount: 0, nodes: [] } },
      { id: 'dams', agreements: { totalCount: 0, nodes: [] } },
    ]);
  });

  it('gives the agreements of a batch of threat focus areas with one statement', async () => {
    const ids = [
      'rail-and-metro-security',
      'cross-border-ci-kr',
      'cyber-security',
      'transportation-infrastructure-threat',
    ];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on ThreatFocusArea { id agreements { totalCount nodes { id } } } } }',
        { r: ids.map((id) => ({ __typename: 'ThreatFocusArea', id })) },
      ),
    );
    expect(result.errors).toBeUndefined();
    expect(statements).toHaveLength(1);
    expect(result.data?._entities).toEqual([
      {
        id: 'rail-and-metro-security',
        agreements: { totalCount: 1, nodes: [{ id: 'g8-counter-terrorism-statement' }] },
      },
      {
        id: 'cross-border-ci-kr',
        agreements: {
          totalCount: 3,
          nodes: [
            { id: 'border-partnership-declaration' },
            { id: 'security-and-prosperity-partnership' },
            { id: 'smart-border-declaration' },
          ],
        },
      },
      { id: 'cyber-security', agreements: { totalCount: 0, nodes: [] } },
      {
        id: 'transportation-infrastructure-threat',
        agreements: { totalCount: 1, nodes: [{ id: 'g8-counter-terrorism-statement' }] },
      },
    ]);
  });

  it('costs one statement per level of a nested list, not one per row', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(`{
        agreements(first: 100) {
          nodes {
            id
            sectors { id }
            parties { id agreements(first: 100) { nodes { id threatFocusAreas { id } } } }
          }
        }
      }`),
    );
    expect(result.errors).toBeUndefined();
    const nodes = (result.data?.agreements as { nodes: { parties: { agreements: Connection }[] }[] }).nodes;
    expect(nodes).toHaveLength(6);
    expect(nodes.flatMap((node) => node.parties)).toHaveLength(13);
    // agreements page, sectors, parties, the parties' agreements, their focus areas: a statement each.
    expect(statements.length).toBeLessThanOrEqual(5);
  });
});
