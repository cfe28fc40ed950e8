// Summarizes a V8 sampling heap profile (node --heap-prof, or `npm run bench -- --heap-prof`): bytes
// allocated by function and by package (self), largest first; with --inclusive, by function
// including what its callees allocated. Usage: node bench/heap-summary.mjs [--inclusive] <file.heapprofile> [<top>]
import { readFile } from 'node:fs/promises';
import { readCommandLine } from './lib/commandLine.mjs';
import { packageOf } from './lib/profileFrames.mjs';

const cli = readCommandLine({
  name: 'node bench/heap-summary.mjs',
  help: `node bench/heap-summary.mjs: allocation of a V8 sampling heap profile by package and by function, largest first.

Usage: node bench/heap-summary.mjs [--inclusive] <file.heapprofile> [<top>]

Arguments:
  <file.heapprofile>  the profile, e.g. from \`npm run bench -- --heap-prof\` in bench/results/profiles/ (required)
  <top>               how many packages and functions to list (default: 25)

Options:
  --inclusive         also list functions by what they and their callees allocated (default: false)
  -h, --help          print this help and exit
`,
  options: { inclusive: { type: 'boolean', default: false } },
  positionals: 2,
});
const [file, topArg] = cli.positionals;
if (file === undefined) cli.fail('Missing <file.heapprofile>: the profile to summarize');
const top = cli.integer('<top>', topArg ?? '25');
const profile = JSON.parse(await readFile(file, 'utf8'));

const nameOf = (frame) => `${frame.functionName || '(anonymous)'} ${packageOf(frame.url)}:${frame.lineNumber + 1}`;

const byPackage = new Map();
const byFunction = new Map();
const inclusive = new Map();
let total = 0;
/** Returns the bytes allocated at and under `node`; counts each function once per stack (recursion). */
function walk(node, onStack) {
  const name = nameOf(node.callFrame);
  const self = node.selfSize ?? 0;
  total += self;
  byPackage.set(packageOf(node.callFrame.url), (byPackage.get(packageOf(node.callFrame.url)) ?? 0) + self);
  byFunction.set(name, (byFunction.get(name) ?? 0) + self);
  const entered = !onStack.has(name);
  if (entered) onStack.add(name);
  let sum = self;
  for (const child of node.children ?? []) sum += walk(child, onStack);
  if (entered) {
    onStack.delete(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + sum);
  }
  return sum;
}
walk(profile.head, new Set());
const print = (title, map) => {
  console.log(`\n${title} (of ${(total / 2 ** 20).toFixed(1)} MB sampled)`);
  for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((bytes / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
};
print('allocated by package (self)', byPackage);
print('allocated by function (self)', byFunction);
if (cli.values.inclusive) print('allocated by function (with callees)', inclusive);
