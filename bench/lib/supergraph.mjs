// The supergraph every benchmarked gateway runs: the committed one, its routing URLs pointed at the
// benchmark's subgraphs, without the `for: SECURITY` features stock @apollo/gateway refuses.
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/**
 * Stock @apollo/gateway refuses a supergraph that links `for: SECURITY` features (@requiresScopes,
 * @authenticated) it does not implement; the benchmark's queries touch no guarded field, so every
 * contender gets the same supergraph without them.
 */
function withoutSecurityFeatures(sdl) {
  return sdl
    .replace(/^\s*@link\(url: "[^"]*", for: SECURITY\)\n/gm, '')
    .replace(/^directive @(requiresScopes|authenticated)\b.*\n/gm, '')
    .replace(/^scalar requiresScopes__Scope\n/gm, '')
    .replace(/ @requiresScopes\(scopes: \[\[.*?\]\]\)/g, '')
    .replace(/ @authenticated\b/g, '');
}

/** Writes the supergraph with each subgraph's routing URL from `urls` (name → URL) to a temporary file; resolves with its path. */
export async function writeSupergraph(label, urls) {
  let sdl = withoutSecurityFeatures(await readFile(join(root, 'schema/supergraph.graphql'), 'utf8'));
  for (const [name, url] of Object.entries(urls)) {
    sdl = sdl.replace(new RegExp(`(join__graph\\(name: "${name}", url: )"[^"]*"`), `$1"${url}"`);
  }
  const path = join(tmpdir(), `cip-bench-supergraph-${label}-${process.pid}.graphql`);
  await writeFile(path, sdl);
  return path;
}
