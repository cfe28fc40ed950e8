// Where a contender's memory goes: starts the overhead back end, then each contender (ours, stock)
// with bench/lib/memoryProbe.mjs preloaded, probes it once started (one request answered) and again
// after a load like the benchmark's, each time before and after a full GC, and prints the
// differences. Usage: node bench/memory.mjs [--seconds <s>] [--snapshot] [--contenders ours,stock]
// (heap snapshots, when asked, go next to the JSON probes in bench/results/profiles/memory/).
import { fork, spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { readCommandLine } from './lib/commandLine.mjs';
import { oursEnv } from './lib/oursEnv.mjs';
import { writeSupergraph } from './lib/supergraph.mjs';

const cli = readCommandLine({
  name: 'node bench/memory.mjs',
  help: `node bench/memory.mjs: each contender's memory once started and after load, before and after a full GC.

Usage: node bench/memory.mjs [--seconds <s>] [--snapshot] [--allocations] [--contenders <list>]

Options:
  --seconds <s>        seconds of load at 50 connections before the second probe (default: 20)
  --snapshot           also write a V8 heap snapshot at the second probe (default: false)
  --allocations        also write a sampling profile of what the load allocated, garbage included
                       (<probes>.allocations.heapprofile; summarize with bench/heap-summary.mjs) (default: false)
  --contenders <list>  of ours, stock (default: ours,stock)
  -h, --help           print this help and exit

Environment variables:
  BENCH_OURS_ENV       environment added to our gateway, 'NAME=value&NAME2=value' (default: none)
`,
  options: {
    seconds: { type: 'string', default: '20' },
    snapshot: { type: 'boolean', default: false },
    allocations: { type: 'boolean', default: false },
    contenders: { type: 'string', default: 'ours,stock' },
  },
});
const seconds = cli.integer('--seconds', cli.values.seconds);
const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'bench/results/profiles/memory');
await mkdir(outDir, { recursive: true });

const backend = fork(join(root, 'bench/lib/backend.mjs'), {
  env: { ...process.env, NODE_ENV: 'production' },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { replayUrls } = await new Promise((resolve) => backend.once('message', resolve));
const supergraphPath = await writeSupergraph('memory', replayUrls);
const query = await readFile(join(root, 'bench/queries/overhead.graphql'), 'utf8');
const body = JSON.stringify({ query });

const commands = {
  ours: {
    script: join(root, 'gateway/dist/main.js'),
    env: oursEnv(supergraphPath),
  },
  stock: {
    script: join(root, 'bench/contenders/stock.mjs'),
    env: { NODE_ENV: 'production', SUPERGRAPH_PATH: supergraphPath },
  },
};

const status = async (pid) => {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { VmRSS: Math.round(kb('VmRSS') / 1024), VmHWM: Math.round(kb('VmHWM') / 1024) };
};

async function probe(child, out, number) {
  child.kill('SIGUSR2');
  const file = `${out}.${number}.json`;
  for (let waited = 0; waited < 120_000; waited += 200) {
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`no probe at ${file}`);
}

for (const name of cli.values.contenders.split(',')) {
  const port = 4900 + Math.floor(Math.random() * 500);
  const out = join(outDir, `${name}-${Date.now()}`);
  const { script, env } = commands[name];
  const child = spawn(
    'taskset',
    ['-c', '1', process.execPath, '--expose-gc', '--import', join(root, 'bench/lib/memoryProbe.mjs'), script],
    {
      env: {
        ...process.env,
        ...env,
        HOST: '127.0.0.1',
        PORT: String(port),
        MEMORY_PROBE_OUT: out,
        MEMORY_PROBE_SNAPSHOT: cli.values.snapshot ? '1' : '0',
        MEMORY_PROBE_ALLOCATIONS: cli.values.allocations ? '1' : '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}/graphql`;
  for (;;) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (response.status === 200) break;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const started = { ...(await probe(child, out, 1)), proc: await status(child.pid) };
  const result = await autocannon({
    url,
    connections: 50,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const loadedProc = await status(child.pid);
  const loaded = { ...(await probe(child, out, 2)), proc: loadedProc };
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const line = (label, report) =>
    `  ${label}: VmRSS ${report.proc.VmRSS} MB (peak ${report.proc.VmHWM}); before GC rss ${report.beforeGc.rss}, heapTotal ${report.beforeGc.heapTotal}, heapUsed ${report.beforeGc.heapUsed}, external ${report.beforeGc.external}, arrayBuffers ${report.beforeGc.arrayBuffers}; after GC heapUsed ${report.afterGc.heapUsed}, heapTotal ${report.afterGc.heapTotal}; modules ${report.modules}`;
  console.log(`${name}: ${Math.round(result.requests.average)} req/s`);
  console.log(line('started', started));
  console.log(line('after load', loaded));
  const spaces = (report) =>
    Object.entries(report.heapSpaces)
      .map(([space, { size, used }]) => `${space} ${size}/${used}`)
      .join(', ');
  console.log(`  heap spaces after load (size/used MB, after GC): ${spaces(loaded)}`);
  console.log(
    `  modules by package: ${Object.entries(started.modulesByPackage)
      .slice(0, 15)
      .map(([pkg, count]) => `${pkg} ${count}`)
      .join(', ')}`,
  );
  console.log(`  probes: ${out}.{1,2}.json`);
}
backend.send({ type: 'stop' });
