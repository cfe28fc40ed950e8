import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compose, readCompositionInput } from './compose.js';
import { REPO_DIR } from './operations.js';

const exec = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run schema:check` over the scratch repository; resolves with its exit code and output. */
const schemaCheck = (args: readonly string[]) =>
  exec(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'schema/src/checkCli.ts', '--repo', scratch, ...args],
    {
      cwd: root,
    },
  ).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

const git = (...args: string[]) => exec('git', ['-C', scratch, ...args]);

/** What `npm run compose` does, in the scratch repository: the API schema rewritten from its SDL. */
async function composeScratch(): Promise<void> {
  const outcome = compose(await readCompositionInput(join(scratch, 'schema/subgraphs.json')));
  if (!outcome.ok) throw new Error(`the scratch graph must compose: ${JSON.stringify(outcome.errors)}`);
  await writeFile(join(scratch, 'schema/api.graphql'), outcome.apiSdl);
}

const PARTNERS_SDL = 'subgraphs/partners/schema.graphql';

let scratch: string;

// A copy of what the check reads (composition input, SDLs, API schema, registered operations) in a
// git repository of its own, so that the real checkout is never changed.
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'schema-check-base-'));
  const subgraphs = await readCompositionInput(join(REPO_DIR, 'schema/subgraphs.json'));
  const files = [
    'schema/subgraphs.json',
    'schema/api.graphql',
    'test/operations',
    'gateway/trusted-documents.json',
    ...subgraphs.map((subgraph) => relative(REPO_DIR, subgraph.schemaPath)),
  ];
  for (const file of files) await cp(join(REPO_DIR, file), join(scratch, file), { recursive: true });
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '-q', '-m', 'the release');
  await git('tag', 'release');
  // Partner.shortName String! -> Int!, and `npm run compose` run after it.
  const sdl = await readFile(join(scratch, PARTNERS_SDL), 'utf8');
  const changed = sdl.replace(/(type Partner @key[\s\S]*?\n {2}shortName: )String!?/, '$1Int!');
  expect(changed).not.toBe(sdl);
  await writeFile(join(scratch, PARTNERS_SDL), changed);
  await composeScratch();
});
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('schema:check compares with a base, not the regenerated files', () => {
  it('fails Partner.shortName String! to Int! after npm run compose, naming the field and PartnerProfile', async () => {
    const { code, stdout } = await schemaCheck([]);
    expect(code, stdout).toBe(1);
    expect(stdout).toContain('Compared with the merge-base with main');
    expect(stdout).toMatch(
      /operation PartnerProfile \(test\/operations\/partnerProfile\.graphql\):\n.*uses Partner\.shortName/,
    );
    expect(stdout).toMatch(/- Partner\.shortName: .*String!.*Int!.*\[used by [^\]]*PartnerProfile/);
  });

  it('counts each registered operation once, the .graphql file and its manifest entry being one', async () => {
    const { stdout } = await schemaCheck(['--json']);
    const report = JSON.parse(stdout) as { operations: { name: string; source: string }[] };
    const names = report.operations.map((operation) => operation.name);
    expect(names).toEqual([...new Set(names)]);
    expect(report.operations.map((operation) => operation.source)).toEqual(
      expect.arrayContaining(['test/operations/partnerProfile.graphql']),
    );
  });

  it('fails the same change once committed, against --base HEAD~1 and the merge-base with main', async () => {
    await git('checkout', '-q', '-b', 'feature');
    await git('add', '.');
    await git(
      '-c',
      'user.name=test',
      '-c',
      'user.email=test@example.invalid',
      'commit',
      '-q',
      '-m',
      'shortName as Int',
    );
    const previous = await schemaCheck(['--base', 'HEAD~1']);
    expect(previous.code, previous.stdout).toBe(1);
    expect(previous.stdout).toContain('Compared with HEAD~1.');
    expect(previous.stdout).toMatch(/Partner\.shortName.*PartnerProfile/);
    expect((await schemaCheck([])).code).toBe(1);
    // Against itself nothing changed: the base decides, not the working tree's api.graphql.
    const itself = await schemaCheck(['--base', 'HEAD']);
    expect(itself.code, itself.stdout).toBe(0);
    expect(itself.stdout).toContain('No change to the API schema.');
  });

  it('fails it on main too once it has landed there: the base is then the commit before HEAD', async () => {
    await git('checkout', '-q', 'main');
    await git('merge', '-q', '--ff-only', 'feature');
    const { code, stdout } = await schemaCheck([]);
    expect(code, stdout).toBe(1);
    expect(stdout).toContain('Compared with the commit before HEAD on main');
    expect(stdout).toMatch(/Partner\.shortName.*PartnerProfile/);
  });

  it('compares with a saved release file given by --base-file', async () => {
    const release = join(scratch, 'release-api.graphql');
    await writeFile(release, (await git('show', 'release:schema/api.graphql')).stdout);
    const { code, stdout } = await schemaCheck(['--base-file', release]);
    expect(code, stdout).toBe(1);
    expect(stdout).toContain(`Compared with ${release}.`);
  });

  it('exits 3 when the base cannot be read, and 64 when two bases are given', async () => {
    expect(await schemaCheck(['--base', 'no-such-ref'])).toMatchObject({ code: 3 });
    expect(await schemaCheck(['--base', 'HEAD', '--base-file', 'x.graphql'])).toMatchObject({ code: 64 });
  });
});
