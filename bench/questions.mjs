// The per-question latency probe: each question of bench/queries/e2e-mix.json (every variant in
// turn), one request at a time after warm-up, through our built gateway in front of the real
// offices over the generated data set: on PostgreSQL (the offices in one process, the gateway in
// another, as `npm run bench -- --workloads e2e` runs them), or on the embedded PGlite default
// (`npm start`'s own process over a PGlite data directory holding the same rows). Prints the p50
// of each question per probe and the median over the probes, with their spread (the machine is
// shared: the spread says how much to trust a difference).
import { fork, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/questions.mjs',
  help: `node bench/questions.mjs: the p50 of each e2e question, one request at a time, through our gateway and the real offices.

Usage: node bench/questions.mjs [--store <postgres|pglite>] [--probes <n>] [--rounds <n>] [--warmup <n>] [--cpu-prof]

Options:
  --store <name>      postgres: the offices over PostgreSQL, gateway in its own process;
                      pglite: \`npm start\` (one process, one PGlite) over the same data (default: postgres)
  --probes <n>        measuring passes; the table gives the median of their p50s and the spread (default: 3)
  --rounds <n>        rounds over every variant of every question per probe (default: 5)
  --warmup <n>        rounds before measuring (default: 3)
  --cpu-prof          write V8 CPU profiles of the offices' and the gateway's processes (one process
                      on pglite) to bench/results/profiles/ (default: false)
  -h, --help          print this help and exit

Environment variables:
  BENCH_DATABASE_URL  the scratch PostgreSQL database (default: postgres://postgres@127.0.0.1:5432/cip_bench)
  BENCH_PGLITE_DIR    the PGlite data directory holding the data set (default: <tmpdir>/cip-bench-pglite);
                      made on first use, in about a minute

Needs \`npm run build\`; on PostgreSQL, creates and loads the data set on first use as \`npm run bench\` does.
Prints one JSON line per probe, then a table: per question, the median p50 ms, its range over the probes, KB.
`,
  options: {
    store: { type: 'string', default: 'postgres' },
    probes: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const { values: options } = cli;
if (!['postgres', 'pglite'].includes(options.store)) cli.fail(`--store ${options.store}: known: postgres, pglite`);
const probes = cli.integer('--probes', options.probes);
const rounds = cli.integer('--rounds', options.rounds);
const warmupRounds = cli.integer('--warmup', options.warmup, 0);
const root = new URL('..', import.meta.url).pathname;
const pgliteDir = process.env.BENCH_PGLITE_DIR ?? join(tmpdir(), 'cip-bench-pglite');
// Loaded once the command line is read: --help needs no build.
const { preparePgliteDirectory } = await import('./lib/offices.mjs');
const { writeSupergraph } = await import('./lib/supergraph.mjs');

const mix = JSON.parse(await readFile(join(root, 'bench/queries/e2e-mix.json'), 'utf8'));
const questions = mix.requests.map((request) => ({
  name: request.name,
  bodies: (request.variants ?? [request.variables ?? {}]).map((variables) =>
    JSON.stringify({ query: request.query, variables }),
  ),
}));

/** Node's flags for a process of the probe: a CPU profile named after it with --cpu-prof. */
const profiling = (name) =>
  options['cpu-prof']
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${join(root, 'bench/results/profiles')}`,
        `--cpu-prof-name=questions-${options.store}-${name}-${Date.now()}.cpuprofile`,
      ]
    : [];

/** Starts a process and waits until its gateway answers on `url`; resolves with a stop(). */
async function startServer(name, args, env, url) {
  const child = spawn(process.execPath, [...profiling(name), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args[0]} exited at start-up: ${stderr}`);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${args[0]} did not answer within 300 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}

const port = 4800 + (process.pid % 100);
const gatewayUrl = `http://127.0.0.1:${port}/graphql`;
const stops = [];

if (options.store === 'postgres') {
  // NODE_ENV=production as `npm run bench` runs the offices (bench/run.mjs says why).
  const backend = fork(join(root, 'bench/lib/backend.mjs'), {
    env: { ...process.env, NODE_ENV: 'production' },
    execArgv: profiling('offices'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { subgraphUrls } = await new Promise((resolve, reject) => {
    backend.once('message', resolve);
    backend.once('exit', (code) => reject(new Error(`the benchmark back end exited (${code})`)));
  });
  stops.push(() => new Promise((resolve) => (backend.once('exit', resolve), backend.send({ type: 'stop' }))));
  const supergraphPath = await writeSupergraph('questions', subgraphUrls);
  const env = { HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', LOG_LEVEL: 'warn' };
  stops.unshift(
    await startServer(
      'gateway',
      [join(root, 'gateway/dist/main.js')],
      { ...env, SUPERGRAPH_PATH: supergraphPath },
      gatewayUrl,
    ),
  );
} else {
  await preparePgliteDirectory(pgliteDir);
  const env = { HOST: '127.0.0.1', PORT: String(port), NODE_ENV: 'production', SUBGRAPH_PORTS_ANY: 'true' };
  stops.push(
    await startServer(
      'stack',
      [join(root, 'packages/stack/dist/main.js')],
      { ...env, PGLITE_DATA_DIR: pgliteDir },
      gatewayUrl,
    ),
  );
}

/** One request; fails on an answer with errors or without data (a fast wrong answer measures nothing). */
async function ask(body) {
  const started = performance.now();
  const response = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  const elapsed = performance.now() - started;
  const parsed = JSON.parse(text);
  if (response.status !== 200 || parsed.errors || !parsed.data) {
    throw new Error(`unexpected answer ${response.status} ${text.slice(0, 500)}`);
  }
  return { elapsed, bytes: text.length };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const round = (value) => Math.round(value * 10) / 10;

try {
  for (let i = 0; i < warmupRounds; i++) for (const { bodies } of questions) for (const body of bodies) await ask(body);
  const perProbe = questions.map(() => []);
  const kilobytes = questions.map(() => 0);
  for (let probe = 0; probe < probes; probe++) {
    const times = questions.map(() => []);
    // Questions interleaved within each round, so that a noisy moment falls on all of them alike.
    for (let r = 0; r < rounds; r++) {
      questions.forEach(({ bodies }, q) => {
        times[q].push(...bodies.map(() => 0));
      });
      for (const [q, { bodies }] of questions.entries()) {
        for (const [v, body] of bodies.entries()) {
          const { elapsed, bytes } = await ask(body);
          times[q][r * bodies.length + v] = elapsed;
          kilobytes[q] = Math.max(kilobytes[q], bytes / 1024);
        }
      }
    }
    const p50s = times.map((list) => round(median(list)));
    questions.forEach((_, q) => perProbe[q].push(p50s[q]));
    console.log(
      JSON.stringify({
        probe: probe + 1,
        store: options.store,
        p50ms: Object.fromEntries(questions.map(({ name }, q) => [name, p50s[q]])),
      }),
    );
  }
  const loadavg = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  console.log(
    `\nstore ${options.store}; ${probes} probes x ${rounds} rounds after ${warmupRounds} warm-up; load average ${loadavg}`,
  );
  console.log('\n| question | p50 ms (median of probes) | range over probes | KB |');
  console.log('| --- | --- | --- | --- |');
  questions.forEach(({ name }, q) => {
    const list = perProbe[q];
    console.log(`| ${name} | ${median(list)} | ${Math.min(...list)}-${Math.max(...list)} | ${round(kilobytes[q])} |`);
  });
} finally {
  for (const stop of stops) await stop();
}
