import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readCompositionInput, type SubgraphInput } from './compose.js';
import { NULLABILITY_CONTRACT, checkNullabilityContract, withNullabilityNote } from './nullability.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])';
const subgraph = (name: string, sdl: string): SubgraphInput => ({
  name,
  routingUrl: `http://127.0.0.1:9/${name}`,
  schemaPath: `/graph/${name}.graphql`,
  sdl: `${LINK}\n${sdl}`,
});
const partners = subgraph(
  'partners',
  `type Query { partner(id: ID!): Partner }
type Partner @key(fields: "id") { id: ID! name: String! }`,
);
const reports = (report: string, partner: string) =>
  subgraph(
    'reports',
    `type Query { reports: [Report!]! }
type Report @key(fields: "id") { id: ID! title: String! partner: ${report} }
type Partner @key(fields: "id") { id: ID! reports: ${partner} }`,
  );

describe('the nullability contract', () => {
  it('holds for the graph as committed', async () => {
    expect(checkNullabilityContract(await readCompositionInput())).toEqual([]);
  });

  it("names each reference to another office's entity, and each field added to it, that is not nullable where it crosses", () => {
    const problems = checkNullabilityContract([partners, reports('Partner!', '[Report!]!')]);
    expect(problems.map((problem) => [problem.code, problem.message.split(':')[0], problem.locations])).toEqual([
      [
        NULLABILITY_CONTRACT,
        'Report.partner in subgraph "reports" refers to Partner, which partners owns',
        ['/graph/reports.graphql:3:57'],
      ],
      [
        NULLABILITY_CONTRACT,
        'Partner.reports in subgraph "reports" is added to Partner, which partners owns',
        ['/graph/reports.graphql:4:43'],
      ],
    ]);
    expect(problems[0]!.message).toContain('(Partner, not Partner!)');
    expect(problems[1]!.message).toContain('([Report!], not [Report!]!)');
  });

  it("keeps the office's own positions as strict as they are", () => {
    // The list of reports is the reports office's, and so is each report inside `Partner.reports`.
    expect(checkNullabilityContract([partners, reports('Partner', '[Report!]')])).toEqual([]);
    expect(checkNullabilityContract([partners, reports('[Partner]!', '[Report!]')])).toEqual([]);
    expect(checkNullabilityContract([partners, reports('[Partner!]!', '[Report!]')])).toHaveLength(1);
  });

  it('fails `npm run compose:check` with exit 2 and the coordinates to fix', async () => {
    // A copy of the composition input beside the repository (whose node_modules it resolves from),
    // with one reference made strict again.
    const repo = join(import.meta.dirname, '..', '..');
    const dir = await mkdtemp(join(repo, '.nullability-test-'));
    try {
      await cp(join(repo, 'schema', 'src'), join(dir, 'schema', 'src'), { recursive: true });
      await cp(join(repo, 'schema', 'subgraphs.json'), join(dir, 'schema', 'subgraphs.json'));
      for (const { schemaPath } of await readCompositionInput()) {
        await cp(schemaPath, join(dir, relative(repo, schemaPath)));
      }
      const agreements = join(dir, 'subgraphs', 'agreements', 'schema.graphql');
      const sdl = await readFile(agreements, 'utf8');
      await writeFile(agreements, sdl.replace('parties: [Partner]!', 'parties: [Partner!]!'));
      const failure = await promisify(execFile)(
        'npx',
        ['tsx', '--conditions=source', join(dir, 'schema', 'src', 'cli.ts'), 'check'],
        {
          cwd: repo,
        },
      ).then(
        () => undefined,
        (error: unknown) => error as { code: number; stderr: string },
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toContain('NULLABILITY_CONTRACT: Agreement.parties in subgraph "agreements"');
      expect(failure?.stderr).toContain(`${agreements}:`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('schema:check on a nullability change', () => {
  it('reports an output field that only lost `!` as a change of output nullability', () => {
    const change = (oldFieldType: string, newFieldType: string) =>
      withNullabilityNote(
        { type: 'FIELD_TYPE_CHANGED', message: 'changed', meta: { oldFieldType, newFieldType } },
        'breaking' as const,
      );
    expect(change('[Partner!]!', '[Partner]!')).toEqual({
      level: 'dangerous',
      message: 'changed: output nullability change: typed clients must handle null',
    });
    expect(change('AgreementConnection!', 'AgreementConnection').level).toBe('dangerous');
    expect(change('[Partner!]', '[Partner]!').level).toBe('breaking');
    expect(change('Partner!', 'Sector').level).toBe('breaking');
  });
});
