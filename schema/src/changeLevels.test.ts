import { describe, expect, it } from 'vitest';
import { checkSchema } from './check.js';
import { compose, type SubgraphInput } from './compose.js';

// One subgraph holding a field, an argument with a default, an enum, an interface and a union: each
// category of change the check reports, with the level graphql-inspector's rules give it.
const SDL = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
type Query {
  partner(id: ID!, kind: Kind = COUNTRY): Partner
  search: [Result!]!
}
interface Named {
  name: String!
}
type Partner implements Named @key(fields: "id") {
  id: ID!
  name: String!
  region: String
  code: String!
  population: Int
}
type Body implements Named {
  name: String!
}
union Result = Partner | Body
enum Kind {
  COUNTRY
  ORGANIZATION
}
`;

const subgraph = (sdl: string): SubgraphInput => ({
  name: 'partners',
  routingUrl: 'http://127.0.0.1:9/graphql',
  schemaPath: 'partners.graphql',
  sdl,
});

function baseApiSdl(): string {
  const outcome = compose([subgraph(SDL)]);
  if (!outcome.ok) throw new Error(`the fixture must compose: ${JSON.stringify(outcome.errors)}`);
  return outcome.apiSdl;
}

const cases: { change: string; from: string; to: string; level: string; path: string }[] = [
  { change: 'field removed', from: '  population: Int\n', to: '', level: 'breaking', path: 'Partner.population' },
  { change: 'field type changed', from: 'code: String!', to: 'code: Int!', level: 'breaking', path: 'Partner.code' },
  // Every operation still validates and runs; typed clients must handle null (docs/nullability.md).
  {
    change: 'output made nullable',
    from: 'code: String!',
    to: 'code: String',
    level: 'dangerous',
    path: 'Partner.code',
  },
  {
    change: 'output made non-null',
    from: 'region: String',
    to: 'region: String!',
    level: 'safe',
    path: 'Partner.region',
  },
  {
    change: 'optional argument added',
    from: 'kind: Kind = COUNTRY)',
    to: 'kind: Kind = COUNTRY, first: Int)',
    level: 'dangerous',
    path: 'Query.partner.first',
  },
  {
    change: 'required argument added',
    from: 'kind: Kind = COUNTRY)',
    to: 'kind: Kind = COUNTRY, first: Int!)',
    level: 'breaking',
    path: 'Query.partner.first',
  },
  {
    change: 'argument removed',
    from: ', kind: Kind = COUNTRY)',
    to: ')',
    level: 'breaking',
    path: 'Query.partner.kind',
  },
  {
    change: 'argument made required',
    from: 'kind: Kind = COUNTRY)',
    to: 'kind: Kind!)',
    level: 'breaking',
    path: 'Query.partner.kind',
  },
  {
    change: 'argument default changed',
    from: 'kind: Kind = COUNTRY)',
    to: 'kind: Kind = ORGANIZATION)',
    level: 'dangerous',
    path: 'Query.partner.kind',
  },
  { change: 'enum value removed', from: '  ORGANIZATION\n', to: '', level: 'breaking', path: 'Kind.ORGANIZATION' },
  {
    change: 'enum value added',
    from: '  ORGANIZATION\n',
    to: '  ORGANIZATION\n  FORUM\n',
    level: 'dangerous',
    path: 'Kind.FORUM',
  },
  {
    change: 'interface removed from a type',
    from: 'type Body implements Named {',
    to: 'type Body {',
    level: 'breaking',
    path: 'Body',
  },
  {
    change: 'union member removed',
    from: 'union Result = Partner | Body',
    to: 'union Result = Partner',
    level: 'breaking',
    path: 'Result',
  },
  {
    change: 'union member added',
    from: 'union Result = Partner | Body',
    to: 'union Result = Partner | Body | Other\ntype Other {\n  name: String!\n}',
    level: 'dangerous',
    path: 'Result',
  },
];

describe('every category of change has its level', () => {
  it.each(cases)('$change: $level at $path', async ({ from, to, level, path }) => {
    expect(SDL.includes(from), `the fixture holds ${JSON.stringify(from)}`).toBe(true);
    const report = await checkSchema({
      subgraphs: [subgraph(SDL.replace(from, to))],
      baseApiSdl: baseApiSdl(),
      baseLabel: 'the fixture',
      operations: [],
    });
    expect(report.composition.ok, JSON.stringify(report.composition.errors)).toBe(true);
    expect(report.changes).toEqual(expect.arrayContaining([expect.objectContaining({ level, path })]));
  });
});

describe('--fail-on-dangerous', () => {
  const defaultChanged = SDL.replace('kind: Kind = COUNTRY)', 'kind: Kind = ORGANIZATION)');
  const operations = [{ name: 'PartnerName', source: 'p.graphql', document: '{ partner(id: "x") { name } }' }];
  const hash = 'h1';
  const usage = {
    snapshot: {
      documents: new Map([
        [hash, { hash, name: 'PartnerName', body: null, coordinates: ['Query.partner', 'Partner.name'] }],
      ]),
      counts: [{ hash, clientName: 'app', clientVersion: '3', hour: 0, count: 7, lastSeen: 1 }],
    },
    window: '7d',
    store: 'test',
  };
  const check = (failOnDangerous: boolean, withUsage: boolean) =>
    checkSchema({
      subgraphs: [subgraph(defaultChanged)],
      baseApiSdl: baseApiSdl(),
      baseLabel: 'the fixture',
      operations: withUsage ? [] : operations,
      failOnDangerous,
      ...(withUsage ? { usage } : {}),
    });

  it('fails a dangerous change a registered operation or recorded traffic uses only when asked to', async () => {
    expect((await check(false, false)).exitCode).toBe(0);
    expect((await check(false, true)).exitCode).toBe(0);
    const registered = await check(true, false);
    expect(registered.exitCode).toBe(1);
    expect(registered.changes).toEqual([
      expect.objectContaining({ level: 'dangerous', fails: true, usedBy: ['PartnerName'] }),
    ]);
    const seen = await check(true, true);
    expect(seen.exitCode).toBe(1);
    expect(seen.changes[0]?.seenUse).toEqual([
      expect.objectContaining({ clientName: 'app', clientVersion: '3', count: 7 }),
    ]);
  });
});
