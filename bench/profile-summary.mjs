// Summarizes a V8 CPU profile (node --cpu-prof): self time by package and by function, largest
// first. Usage: node bench/profile-summary.mjs [--last <s>] <file.cpuprofile> [<top>]
import { readFile } from 'node:fs/promises';
import { readCommandLine } from './lib/commandLine.mjs';
import { packageOf } from './lib/profileFrames.mjs';

const cli = readCommandLine({
  name: 'node bench/profile-summary.mjs',
  help: `node bench/profile-summary.mjs: self time of a V8 CPU profile by package and by function, largest first.

Usage: node bench/profile-summary.mjs [--last <s>] <file.cpuprofile> [<top>]

Arguments:
  <file.cpuprofile>  the profile, e.g. from \`npm run bench -- --cpu-prof\` in bench/results/profiles/ (required)
  <top>              how many packages and functions to list (default: 25)

Options:
  --last <s>         only the profile's last <s> seconds, e.g. the measured load without start-up (default: all)
  -h, --help         print this help and exit

Files outside node_modules are named relative to the current directory.
`,
  options: { last: { type: 'string' } },
  positionals: 2,
});
const [file, topArg] = cli.positionals;
if (file === undefined) cli.fail('Missing <file.cpuprofile>: the profile to summarize');
const top = cli.integer('<top>', topArg ?? '25');
const lastMicros = cli.values.last === undefined ? Infinity : cli.integer('--last', cli.values.last) * 1e6;
const profile = JSON.parse(await readFile(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
const endMicros = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
let atMicros = 0;
for (let i = 0; i < profile.samples.length; i++) {
  atMicros += profile.timeDeltas[i] ?? 0;
  if (endMicros - atMicros > lastMicros) continue;
  const id = profile.samples[i];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);

const byPackage = new Map();
const byFunction = new Map();
for (const [id, micros] of selfMicros) {
  const { callFrame } = nodes.get(id);
  const pkg = ['(garbage collector)', '(idle)', '(program)'].includes(callFrame.functionName)
    ? callFrame.functionName
    : packageOf(callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
  const fn = `${callFrame.functionName || '(anonymous)'} ${packageOf(callFrame.url)}:${callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
}
const print = (title, map) => {
  console.log(`\n${title} (of ${(total / 1e6).toFixed(1)} s sampled)`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  }
};
print('self time by package', byPackage);
print('self time by function', byFunction);
