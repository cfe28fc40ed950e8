import { buildTestSubgraph, countStatements, describeEachStore, type TestSubgraph } from '@cip/testing/subgraphs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PartnersContext } from './context.js';
import { partnersSubgraph } from './server.js';

describeEachStore('partners subgraph on $kind', (store) => {
  let subgraph: TestSubgraph<PartnersContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(partnersSubgraph, store);
  });
  afterAll(() => subgraph.close());

  it('looks a partner up by id, with its source', async () => {
    const result = await subgraph.execute(`{
      partner(id: "canada") { id name kind region sharesLandBorderWithUnitedStates homeParty source { document section basis } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.partner).toEqual({
      id: 'canada',
      name: 'Canada',
      kind: 'COUNTRY',
      region: 'North America',
      sharesLandBorderWithUnitedStates: true,
      homeParty: false,
      source: {
        document: 'National Infrastructure Protection Plan (2006)',
        section: 'Key partners: Canada and Mexico',
        basis: 'STATED_IN_TEXT',
      },
    });
  });

  it.each(['atlantis', '', "canada' OR '1'='1", 'x'.repeat(10_000)])(
    'answers null, not an error, for the unknown id %#',
    async (id) => {
      const result = await subgraph.execute('query ($id: ID!) { partner(id: $id) { id } }', { id });
      expect(result).toEqual({ data: { partner: null } });
    },
  );

  it('lists exactly the two land-border partners', async () => {
    const result = await subgraph.execute(
      `{ partners(filter: { sharesLandBorderWithUnitedStates: true }) { totalCount nodes { id } } }`,
    );
    expect(result.data?.partners).toEqual({ totalCount: 2, nodes: [{ id: 'canada' }, { id: 'mexico' }] });
  });

  it('pages through every partner with cursors, each partner once', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const result = await subgraph.execute(
        'query ($after: String) { partners(first: 7, after: $after) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      const page = result.data?.partners as {
        totalCount: number;
        nodes: { id: string }[];
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
      expect(page.totalCount).toBe(31);
      seen.push(...page.nodes.map((node) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(31);
    expect(new Set(seen).size).toBe(31);
    expect(seen).toEqual([...seen].sort());
  });

  it('refuses a page size over the bound and a forged cursor, naming the argument', async () => {
    const tooMany = await subgraph.execute('{ partners(first: 101) { totalCount } }');
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const forged = await subgraph.execute('{ partners(after: "not-a-cursor") { totalCount } }');
    expect(forged.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
  });

  it('holds the G8 of 2005 and the 26 NATO members of 2006, and their bodies', async () => {
    const result = await subgraph.execute(`{
      g8: partner(id: "g8") { members(first: 100) { totalCount nodes { id } } }
      nato: partner(id: "nato") {
        kind
        members(first: 100) { totalCount }
        bodies { name advises { name } }
      }
      canada: partner(id: "canada") { memberOf { organization { id } asOfYear } }
    }`);
    expect(result.errors).toBeUndefined();
    const data = result.data as any;
    expect(data.g8.members.nodes.map((node: { id: string }) => node.id)).toEqual([
      'canada',
      'france',
      'germany',
      'italy',
      'japan',
      'russia',
      'united-kingdom',
      'united-states',
    ]);
    expect(data.nato.members.totalCount).toBe(26);
    expect(data.nato.kind).toBe('INTERNATIONAL_ORGANIZATION');
    expect(data.nato.bodies).toEqual([
      { name: 'North Atlantic Council', advises: null },
      { name: 'Senior Civil Emergency Planning Committee', advises: { name: 'North Atlantic Council' } },
    ]);
    expect(data.canada.memberOf).toEqual([
      { organization: { id: 'g8' }, asOfYear: 2005 },
      { organization: { id: 'nato' }, asOfYear: 2006 },
    ]);
  });

  it('resolves an _entities batch of any size with one statement, unknown ids as null', async () => {
    const ids = ['canada', 'nope', 'mexico', 'g8', 'nato', 'united-kingdom', 'japan'];
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { id shortName } } }', {
        r: ids.map((id) => ({ __typename: 'Partner', id })),
      }),
    );
    expect(statements).toHaveLength(1);
    expect((result.data?._entities as ({ id: string } | null)[]).map((entity) => entity?.id ?? null)).toEqual([
      'canada',
      null,
      'mexico',
      'g8',
      'nato',
      'united-kingdom',
      'japan',
    ]);
  });

  it('costs one statement per level of a nested list, not one per row', async () => {
    const { result, statements } = await countStatements(subgraph.db, () =>
      subgraph.execute(`{
        partners(first: 100) {
          nodes { id memberOf { organization { id bodies { name } } } members(first: 100) { nodes { id memberOf { asOfYear } } } }
        }
      }`),
    );
    expect(result.errors).toBeUndefined();
    // partners page, memberOf, members, organizations, bodies: a statement each, whatever the row count.
    expect(statements.length).toBeLessThanOrEqual(5);
  });
});
