import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSchema, formatReport, type SchemaCheckInput } from './check.js';
import { compose, type SubgraphInput } from './compose.js';
import { readManifest, type RegisteredOperation } from './operations.js';

// A small graph of its own, so the check is proven on known changes whatever the real SDL holds today.
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const PARTNERS_SDL = `${LINK}
type Query {
  partner(id: ID!): Partner
}
type Partner @key(fields: "id") {
  id: ID!
  name: String!
  population: Int
}
`;
const REPORTS_SDL = `${LINK}
type Query {
  reports: [Report!]!
}
type Report @key(fields: "id") {
  id: ID!
  title: String!
  partner: Partner!
}
type Partner @key(fields: "id", resolvable: false) {
  id: ID!
}
`;

const operations: RegisteredOperation[] = [
  {
    name: 'PartnerName',
    source: 'test/operations/partnerName.graphql',
    document: 'query PartnerName($id: ID!) { partner(id: $id) { id name } }',
  },
  {
    name: 'ReportTitles',
    source: 'trusted-documents.json#abc',
    document: 'query ReportTitles { reports { title partner { id } } }',
  },
];

let dir: string;
let baseApiSdl: string;

function subgraph(name: string, sdl: string): SubgraphInput {
  return { name, routingUrl: `http://127.0.0.1:9/${name}`, schemaPath: join(dir, `${name}.graphql`), sdl };
}

async function check(partnersSdl: string, reportsSdl = REPORTS_SDL) {
  const input: SchemaCheckInput = {
    subgraphs: [subgraph('partners', partnersSdl), subgraph('reports', reportsSdl)],
    baseApiSdl,
    baseLabel: 'the fixture',
    operations,
  };
  for (const { schemaPath, sdl } of input.subgraphs) await writeFile(schemaPath, sdl);
  return checkSchema(input);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'schema-check-'));
  const outcome = compose([subgraph('partners', PARTNERS_SDL), subgraph('reports', REPORTS_SDL)]);
  if (!outcome.ok) throw new Error('the fixture graph must compose');
  baseApiSdl = outcome.apiSdl;
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('schema check', () => {
  it('passes an unchanged graph', async () => {
    const report = await check(PARTNERS_SDL);
    expect(report.exitCode).toBe(0);
    expect(report.changes).toEqual([]);
    expect(report.operations.map((operation) => operation.ok)).toEqual([true, true]);
  });

  it('fails a removed field that a registered operation uses, and names the operation', async () => {
    const report = await check(PARTNERS_SDL.replace('  name: String!\n', ''));
    expect(report.exitCode).toBe(1);
    expect(report.changes).toEqual([
      expect.objectContaining({
        level: 'breaking',
        type: 'FIELD_REMOVED',
        path: 'Partner.name',
        usedBy: ['PartnerName'],
      }),
    ]);
    const [partnerName, reportTitles] = report.operations;
    expect(partnerName).toMatchObject({ name: 'PartnerName', ok: false });
    expect(partnerName?.problems).toEqual([
      expect.stringMatching(
        /^Cannot query field "name" on type "Partner"\. \(test\/operations\/partnerName\.graphql:1:\d+\)$/,
      ),
      expect.stringMatching(/^uses Partner\.name: /),
    ]);
    expect(reportTitles).toMatchObject({ name: 'ReportTitles', ok: true });
    expect(formatReport(report)).toContain('operation PartnerName (test/operations/partnerName.graphql):');
  });

  it('fails a changed type that a registered operation reads, though the operation still validates', async () => {
    const report = await check(PARTNERS_SDL.replace('name: String!', 'name: Int!'));
    expect(report.exitCode).toBe(1);
    expect(report.changes).toEqual([
      expect.objectContaining({ level: 'breaking', type: 'FIELD_TYPE_CHANGED', path: 'Partner.name' }),
    ]);
    expect(report.operations[0]?.problems).toEqual([expect.stringMatching(/^uses Partner\.name: .*String!.*Int!/)]);
  });

  it('reports, without failing, a breaking change no registered operation uses', async () => {
    const report = await check(PARTNERS_SDL.replace('  population: Int\n', ''));
    expect(report.exitCode).toBe(0);
    expect(report.changes).toEqual([
      expect.objectContaining({ level: 'breaking', path: 'Partner.population', usedBy: [] }),
    ]);
    expect(formatReport(report)).toMatch(/Partner\.population.*\[no registered operation uses it\]/);
  });

  it('classifies an added field as safe and an added enum value as dangerous', async () => {
    const report = await check(
      PARTNERS_SDL.replace('  population: Int\n', '  population: Int\n  kind: Kind\n}\nenum Kind {\n  COUNTRY\n'),
    );
    expect(report.exitCode).toBe(0);
    expect(new Set(report.changes.map((change) => change.level))).toEqual(new Set(['safe']));
    const withValue = compose([
      subgraph(
        'partners',
        PARTNERS_SDL.replace('  population: Int\n', '  population: Int\n  kind: Kind\n}\nenum Kind {\n  COUNTRY\n'),
      ),
      subgraph('reports', REPORTS_SDL),
    ]);
    if (!withValue.ok) throw new Error('must compose');
    baseApiSdl = withValue.apiSdl;
    try {
      const added = await check(
        PARTNERS_SDL.replace(
          '  population: Int\n',
          '  population: Int\n  kind: Kind\n}\nenum Kind {\n  COUNTRY\n  ORGANIZATION\n',
        ),
      );
      expect(added.changes).toEqual([expect.objectContaining({ level: 'dangerous', type: 'ENUM_VALUE_ADDED' })]);
    } finally {
      const baseline = compose([subgraph('partners', PARTNERS_SDL), subgraph('reports', REPORTS_SDL)]);
      if (baseline.ok) baseApiSdl = baseline.apiSdl;
    }
  });

  it('reports a composition conflict between two subgraphs by subgraph, with its code and file:line', async () => {
    // Both offices now resolve Partner.name, and neither says it may be shared.
    const report = await check(PARTNERS_SDL, REPORTS_SDL.replace('  id: ID!\n}\n', '  id: ID!\n  name: String!\n}\n'));
    expect(report.exitCode).toBe(2);
    expect(report.composition.ok).toBe(false);
    const problems = Object.values(report.composition.errors).flat();
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'INVALID_FIELD_SHARING' })]));
    expect(Object.keys(report.composition.errors)).toEqual(expect.arrayContaining(['reports']));
    const locations = problems.flatMap((problem) => problem.locations);
    expect(locations).toEqual(expect.arrayContaining([expect.stringMatching(/reports\.graphql:\d+:\d+$/)]));
    expect(formatReport(report)).toMatch(/subgraph reports:\n {2}INVALID_FIELD_SHARING: /);
  });
});

describe('registered operations', () => {
  it('reads an Apollo persisted-query manifest, a list, and a hash map', () => {
    const body = 'query PartnerName { partner(id: "canada") { name } }';
    expect(
      readManifest(
        {
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id: 'h1', name: 'PartnerName', body }],
        },
        'm.json',
      ),
    ).toEqual([{ name: 'PartnerName', source: 'm.json#h1', document: body }]);
    expect(readManifest([{ hash: 'h2', document: body }], 'm.json')).toEqual([
      { name: 'PartnerName', source: 'm.json#h2', document: body },
    ]);
    expect(readManifest({ h3: body }, 'm.json')).toEqual([
      { name: 'PartnerName', source: 'm.json#h3', document: body },
    ]);
  });
});

describe('npm run schema:check', () => {
  const cli = (args: string[]) =>
    promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'schema/src/checkCli.ts', ...args],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      },
    ).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => error,
    );

  it('answers --json with the report, whose exitCode is the process exit code', async () => {
    const { code, stdout } = await cli(['--json']);
    const report = JSON.parse(stdout) as { exitCode: number; composition: { ok: boolean } };
    expect(report.exitCode).toBe(code);
    expect(report).toHaveProperty('changes');
    expect(report).toHaveProperty('operations');
  });

  it('refuses an unknown option with exit code 64', async () => {
    expect(await cli(['--colour'])).toMatchObject({ code: 64 });
  });
});
