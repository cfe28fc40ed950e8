import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const git = promisify(execFile);

/** What the schema check compares the working tree's composition with: a git ref, or a saved release's API schema. */
export type SchemaBase =
  /** A ref; `undefined`: the merge-base with `main` (`origin/main`), or `HEAD` where there is no such branch. */
  { readonly kind: 'ref'; readonly ref: string | undefined } | { readonly kind: 'file'; readonly path: string };

/** The base's API schema, and how the report names the base. */
export interface BaseApiSchema {
  readonly label: string;
  readonly apiSdl: string;
}

/** The base cannot be read: not a git repository, an unknown ref, a ref without the file. */
export class BaseUnavailableError extends Error {
  override readonly name = 'BaseUnavailableError';
}

/** The API schema path inside the repository, as git names it at a ref. */
const API_SCHEMA_AT_REF = 'schema/api.graphql';
const MAIN_BRANCHES = ['main', 'origin/main'];

async function gitOutput(repoDir: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout } = await git('git', ['-C', repoDir, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch {
    return undefined;
  }
}

/**
 * The default base: where this branch left `main`, so a branch is checked against what it would
 * merge into, whatever its own commits regenerated. On `main` itself (the merge-base is `HEAD`)
 * it is `HEAD`'s first parent, the `main` the last commit landed on, so CI on a clone of `main`
 * still sees what that commit changed.
 */
export async function defaultBaseRef(repoDir: string): Promise<{ ref: string; label: string }> {
  const head = (await gitOutput(repoDir, ['rev-parse', 'HEAD']))?.trim();
  for (const branch of MAIN_BRANCHES) {
    const mergeBase = (await gitOutput(repoDir, ['merge-base', 'HEAD', branch]))?.trim();
    if (!mergeBase) continue;
    if (mergeBase === head) {
      const parent = (await gitOutput(repoDir, ['rev-parse', '--verify', '--quiet', 'HEAD^1']))?.trim();
      if (parent) return { ref: parent, label: `the commit before HEAD on ${branch} (${parent.slice(0, 12)})` };
    }
    return { ref: mergeBase, label: `the merge-base with ${branch} (${mergeBase.slice(0, 12)})` };
  }
  return { ref: 'HEAD', label: 'HEAD (no main branch)' };
}

/** Reads the base's API schema: `schema/api.graphql` as committed at the ref, or the saved file. */
export async function readBaseApiSchema(repoDir: string, base: SchemaBase): Promise<BaseApiSchema> {
  if (base.kind === 'file') {
    const apiSdl = await readFile(base.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new BaseUnavailableError(`Cannot read the base schema file ${base.path}: ${error.code ?? error.message}`);
    });
    return { label: base.path, apiSdl };
  }
  const { ref, label } = base.ref === undefined ? await defaultBaseRef(repoDir) : { ref: base.ref, label: base.ref };
  const commit = (await gitOutput(repoDir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]))?.trim();
  if (!commit) throw new BaseUnavailableError(`No commit ${ref} in ${repoDir} (is it a git repository?)`);
  const apiSdl = await gitOutput(repoDir, ['show', `${commit}:${API_SCHEMA_AT_REF}`]);
  if (apiSdl === undefined) throw new BaseUnavailableError(`${ref} has no ${API_SCHEMA_AT_REF}`);
  return { label: label === commit ? commit.slice(0, 12) : label, apiSdl };
}
