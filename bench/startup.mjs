// Measures `npm start`'s promise on this machine: from process start to the first answered
// cross-office query, and the whole system's resident memory (current and peak) after it has
// answered every domain question a few times. Runs the built system (run `npm run build` first).
// Usage: npm run bench:startup -- [<runs>]   Appends a row to bench/STARTUP.md.
import { spawn, execSync } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';
import { cpus } from 'node:os';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'npm run bench:startup',
  help: `npm run bench:startup: start to first answered cross-office query, and resident memory, of the built system.

Usage: npm run bench:startup -- [<runs>]

Arguments:
  <runs>      how many times to start the system; medians are reported (default: 5)

Options:
  -h, --help  print this help and exit

Environment variables: none of its own; the system it starts (packages/stack/dist/main.js) gets this
environment with PORT=4500, SUBGRAPH_PORTS_ANY=true and LOG_LEVEL=warn.

Needs \`npm run build\`. Appends a row to bench/STARTUP.md.
`,
  options: {},
  positionals: 1,
});
const runs = cli.integer('<runs>', cli.positionals[0] ?? '5');
const port = 4500;
const query = `{ partner(id: "canada") { agreements { nodes { title sectors { name cascade(maxHops: 2) { hops } } threatFocusAreas { name } } } memberOf { organization { bodies { name } } } } }`;

async function status(pid) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)[1]);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

async function once() {
  const started = performance.now();
  const child = spawn(process.execPath, ['packages/stack/dist/main.js'], {
    env: { ...process.env, PORT: String(port), SUBGRAPH_PORTS_ANY: 'true', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let readyMs;
  while (readyMs === undefined) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      const body = await response.json();
      if (body.data?.partner) readyMs = performance.now() - started;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  for (let i = 0; i < 50; i++) {
    await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    }).then((r) => r.json());
  }
  const memory = await status(child.pid);
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('exit', resolve));
  return { readyMs, ...memory };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = {
  date: new Date().toISOString().slice(0, 10),
  commit: execSync('git rev-parse --short HEAD').toString().trim(),
  machine: `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
  runs,
  readyMedianS: Number((median(results.map((r) => r.readyMs)) / 1000).toFixed(2)),
  readyMaxS: Number((Math.max(...results.map((r) => r.readyMs)) / 1000).toFixed(2)),
  rssMedianMB: Math.round(median(results.map((r) => r.rssMB))),
  peakRssMaxMB: Math.round(Math.max(...results.map((r) => r.peakMB))),
};
console.log(JSON.stringify(summary, null, 2));
await appendFile(
  'bench/STARTUP.md',
  `| ${summary.date} | ${summary.commit} | ${summary.machine} | ${runs} | ${summary.readyMedianS} s | ${summary.readyMaxS} s | ${summary.rssMedianMB} MB | ${summary.peakRssMaxMB} MB |\n`,
);
// Keep the table formatted as `npm run format:check` expects.
const table = await readFile('bench/STARTUP.md', 'utf8');
await writeFile(
  'bench/STARTUP.md',
  await format(table, { ...(await resolveConfig('bench/STARTUP.md')), filepath: 'bench/STARTUP.md' }),
);
