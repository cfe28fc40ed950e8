// The gateway benchmark: our gateway, stock @apollo/gateway and Hive Gateway side by side, in one
// run, on the same machine, subgraphs and supergraph. Each contender runs in its own process pinned
// to core 1 (`taskset -c 1`); this process (the load generator, autocannon) and the back end
// (subgraphs, replaying proxies) run on core 0; ours-2workers alone gets both cores. Every response
// is checked against the expected body.
//
// Options, environment and output: HELP below (`npm run bench -- --help`).
import { fork, spawn, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, readFile, writeFile, mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import * as prettier from 'prettier';
import { readCommandLine } from './lib/commandLine.mjs';
import { processTree } from './lib/proc.mjs';
import { buildGatewayAt } from './lib/refBuild.mjs';
import { oursEnv } from './lib/oursEnv.mjs';
import { writeSupergraph } from './lib/supergraph.mjs';

const HELP = `npm run bench: our gateway, stock @apollo/gateway and Hive Gateway side by side, every answer checked.

Usage: npm run bench -- [--reps <n>] [--warmup <s>] [--duration <s>] [--connections <n>] [--workloads <list>] [--contenders <list>] [--soak <s>] [--no-append] [--cpu-prof] [--heap-prof]

Options:
  --reps <n>           repetitions of each contender, in rotating order (default: 3)
  --warmup <s>         seconds of load before each measurement (default: 5)
  --duration <s>       seconds of each measurement (default: 15)
  --connections <n>    concurrent connections of the load generator (default: 50)
  --workloads <list>   of overhead (replayed upstreams), e2e (real subgraphs) (default: overhead,e2e)
  --contenders <list>  of ours, ours-semi64, ours-flat, ours-stock-executor, ours-cached, ours-dedup,
                       ours-2workers (GATEWAY_WORKERS=2, on both cores), stock, hive,
                       and ours@<git-ref>: our gateway built from that commit in a temporary worktree
                       (removed after the run), to compare a change within one run (default: ours,stock,hive)
  --soak <s>           instead, a soak of this many seconds per contender, RSS sampled every 15 s (default: none)
  --no-append          do not append the table to bench/RESULTS.md (default: false)
  --cpu-prof           write a V8 CPU profile per contender to bench/results/profiles/ (default: false)
  --heap-prof          write a V8 sampling heap (allocation) profile per contender there (default: false)
  -h, --help           print this help and exit

Environment variables:
  BENCH_OURS_ENV       environment added to our gateway, 'NAME=value&NAME2=value' (default: none)
  BENCH_DATABASE_URL   the scratch PostgreSQL database (default: postgres://postgres@127.0.0.1:5432/cip_bench)

Needs \`npm run build\` and PostgreSQL; installs Hive Gateway into bench/contenders/hive on first use.
Writes bench/results/<date>-<commit>.json and appends a table to bench/RESULTS.md.
`;

const cli = readCommandLine({
  name: 'npm run bench',
  help: HELP,
  options: {
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    workloads: { type: 'string', default: 'overhead,e2e' },
    contenders: { type: 'string', default: 'ours,stock,hive' },
    soak: { type: 'string' },
    'no-append': { type: 'boolean', default: false },
    /** Writes a V8 CPU profile per contender process to bench/results/profiles/ (summarize with bench/profile-summary.mjs). */
    'cpu-prof': { type: 'boolean', default: false },
    /** Writes a V8 sampling heap profile per contender process there (summarize with bench/heap-summary.mjs). */
    'heap-prof': { type: 'boolean', default: false },
  },
});
const { values: options } = cli;
const reps = cli.integer('--reps', options.reps);
const warmupSeconds = cli.integer('--warmup', options.warmup, 0);
const durationSeconds = cli.integer('--duration', options.duration);
const connections = cli.integer('--connections', options.connections);
if (options.soak !== undefined) cli.integer('--soak', options.soak);
const root = new URL('..', import.meta.url).pathname;
const hiveBin = join(root, 'bench/contenders/hive/node_modules/@graphql-hive/gateway/dist/bin.js');

/** How to start each contender on a port, over a supergraph file whose routing URLs are set. */
const contenders = {
  ours: (port, supergraphPath) => ({
    args: [join(root, 'gateway/dist/main.js')],
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      ...oursEnv(supergraphPath),
    },
  }),
  // Ours with a larger young generation (V8 semi-space): the profile shows ~20% of ours in the
  // garbage collector, mostly scavenges of short-lived per-request objects. A deployment setting.
  'ours-semi64': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, args: ['--max-semi-space-size=64', ...ours.args] };
  },
  // Ours with @apollo/federation-internals' re-export getters flattened (lib/flatten-federation-exports.mjs).
  'ours-flat': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, args: ['--import', join(root, 'bench/lib/flatten-federation-exports.mjs'), ...ours.args] };
  },
  // Ours with @apollo/gateway's own executor for its query plans instead of ours (packages/plan-executor).
  'ours-stock-executor': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, env: { ...ours.env, PLAN_EXECUTOR: 'stock' } };
  },
  // CACHED, to be reported apart: ours with its response cache on (in memory; no Redis). The
  // overhead workload repeats one query, so this measures serving a stored answer, not the gateway.
  'ours-cached': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, env: { ...ours.env, RESPONSE_CACHE: 'on' } };
  },
  // Ours as two processes on the one port (GATEWAY_WORKERS=2, node:cluster). The only contender given
  // both cores (`cores`): on this 2-core machine, core 0 is shared with the load generator and the
  // back end, so it shows what a second worker adds here, not a clean 2x; compare it with ours, not stock.
  'ours-2workers': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, env: { ...ours.env, GATEWAY_WORKERS: '2' }, cores: '0,1', workers: 2 };
  },
  // DEDUP, to be reported apart: ours with in-flight deduplication on (SUBGRAPH_DEDUP, the product
  // default): identical subgraph queries in flight at once share one call.
  'ours-dedup': (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, env: { ...ours.env, SUBGRAPH_DEDUP: 'on' } };
  },
  stock: (port, supergraphPath) => ({
    args: [join(root, 'bench/contenders/stock.mjs')],
    env: { PORT: String(port), SUPERGRAPH_PATH: supergraphPath, NODE_ENV: 'production' },
  }),
  hive: (port, supergraphPath) => ({
    args: [hiveBin, 'supergraph', supergraphPath, '--host', '127.0.0.1', '--port', String(port), '--fork', '1'],
    env: { NODE_ENV: 'production' },
  }),
};

/** `ours@<git-ref>`: ours as built from that commit (bench/lib/refBuild.mjs), once per run. */
const REF_CONTENDER = /^ours@([\w./~^-]+)$/;
const refBuilds = new Map();

function contenderFor(name) {
  if (!REF_CONTENDER.test(name)) return contenders[name];
  return (port, supergraphPath) => {
    const ours = contenders.ours(port, supergraphPath);
    return { ...ours, args: [refBuilds.get(name).main] };
  };
}

for (const [option, list, known] of [
  ['--contenders', options.contenders, Object.keys(contenders)],
  ['--workloads', options.workloads, ['overhead', 'e2e']],
]) {
  const unknown = list
    .split(',')
    .filter((name) => !known.includes(name) && !(option === '--contenders' && REF_CONTENDER.test(name)));
  if (unknown.length > 0) cli.fail(`${option}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
}

async function ensureHiveInstalled() {
  if (existsSync(hiveBin)) return;
  console.log('installing Hive Gateway into bench/contenders/hive (once)...');
  execSync('npm install --prefix bench/contenders/hive --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}

function startBackend() {
  // NODE_ENV=production as the offices are deployed (their mode is production too): graphql-js
  // otherwise runs its development checks on every type test (3% of the offices' time under load).
  const backend = fork(join(root, 'bench/lib/backend.mjs'), {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise((resolve, reject) => {
    backend.once('message', resolve);
    backend.once('exit', (code) => reject(new Error(`the benchmark back end exited (${code})`)));
  });
  const ask = (type) =>
    new Promise((resolve) => {
      backend.once('message', resolve);
      backend.send({ type });
    });
  return { ready, ask, stop: () => backend.send({ type: 'stop' }) };
}

async function loadWorkloads() {
  const heavy = await readFile(join(root, 'bench/queries/overhead.graphql'), 'utf8');
  const mix = JSON.parse(await readFile(join(root, 'bench/queries/e2e-mix.json'), 'utf8'));
  return {
    overhead: { upstream: 'replayUrls', requests: [{ name: 'partner network', query: heavy }] },
    e2e: {
      upstream: 'subgraphUrls',
      requests: mix.requests.flatMap((request) =>
        (request.variants ?? [request.variables ?? {}]).map((variables) => ({ ...request, variables })),
      ),
    },
  };
}

const freePort = (() => {
  let next = 4600 + (process.pid % 200) * 2;
  return () => next++;
})();

async function post(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: response.status, text: await response.text() };
}

async function startContender(name, supergraphPath) {
  const port = freePort();
  const { args, env, cores = '1', workers } = contenderFor(name)(port, supergraphPath);
  const profiling = [
    ...(options['cpu-prof']
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${join(root, 'bench/results/profiles')}`,
          `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
        ]
      : []),
    ...(options['heap-prof']
      ? [
          '--heap-prof',
          `--heap-prof-dir=${join(root, 'bench/results/profiles')}`,
          `--heap-prof-name=${name}-${Date.now()}.heapprofile`,
        ]
      : []),
  ];
  const child = spawn('taskset', ['-c', cores, process.execPath, ...profiling, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}/graphql`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited at start-up: ${stderr}`);
    try {
      const { status } = await post(url, JSON.stringify({ query: '{ __typename }' }));
      if (status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${name} did not answer within 60 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // A cluster answers once its first worker listens: wait until /metrics counts every worker.
  while (workers !== undefined) {
    const metrics = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
    if (new RegExp(`^cip_gateway_workers ${workers}$`, 'm').test(metrics)) break;
    if (Date.now() > deadline) throw new Error(`${name}: not all ${workers} workers up within 60 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** JSON with object keys sorted: two bodies that differ only in key order or spacing compare equal. */
function canonical(text) {
  const sort = (value) =>
    Array.isArray(value)
      ? value.map(sort)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, sort(value[key])]),
          )
        : value;
  return JSON.stringify(sort(JSON.parse(text)));
}

/**
 * The reference answers: the first contender's, fetched once per workload; each must hold data and
 * no errors, not even value-completion ones. Every contender must then answer the same JSON (key order and spacing aside).
 */
async function referenceBodies(url, requests) {
  const reference = [];
  for (const request of requests) {
    const { status, text } = await post(url, request.body);
    const parsed = JSON.parse(text);
    // valueCompletion: nulls the gateway had to put where the schema promises a value (bad data).
    if (status !== 200 || parsed.errors || parsed.extensions?.valueCompletion || !parsed.data) {
      throw new Error(`${request.name}: unexpected answer ${status} ${text.slice(0, 500)}`);
    }
    reference.push(canonical(text));
  }
  return reference;
}

/**
 * Checks a contender's answers against the reference: a body equal to one already accepted for
 * that request is accepted at once; another is compared as canonical JSON (and remembered if equal).
 */
function answerChecker(reference) {
  const accepted = reference.map(() => new Set());
  return (index, status, body) => {
    if (status !== 200) return false;
    if (accepted[index].has(body)) return true;
    try {
      if (canonical(body) !== reference[index]) return false;
    } catch {
      return false;
    }
    accepted[index].add(body);
    return true;
  };
}

const round = (value) => Math.round(value * 10) / 10;

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * One autocannon run at fixed concurrency. Requests are taken in turn from the list by all
 * connections together (so concurrent requests mostly differ); every answer is checked.
 */
async function load(url, requests, check, seconds) {
  const latencies = [];
  let mismatches = 0;
  let next = 0;
  const instance = autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: new URL(url).pathname,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request, context) => {
          context.index = next++ % requests.length;
          return { ...request, body: requests[context.index].body };
        },
        onResponse: (status, body, context) => {
          if (!check(context.index, status, body)) mismatches++;
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / seconds,
    bytesPerResponse: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    errors: result.errors + result.timeouts + result.non2xx + mismatches,
    mismatches,
  };
}

async function measure(name, workload, supergraphPath, reference, backend, seconds = durationSeconds) {
  const contender = await startContender(name, supergraphPath);
  try {
    if (reference.length === 0) reference.push(...(await referenceBodies(contender.url, workload.requests)));
    const check = answerChecker(reference);
    await load(contender.url, workload.requests, check, warmupSeconds);
    await backend.ask('stats');
    const before = await processTree(contender.pid);
    const startedAt = performance.now();
    const result = await load(contender.url, workload.requests, check, seconds);
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const after = await processTree(contender.pid);
    const { replay } = await backend.ask('stats');
    const replayMisses = Object.values(replay).reduce((sum, s) => sum + s.misses, 0);
    return {
      ...result,
      cpuPercent: Math.round(((after.cpuSeconds - before.cpuSeconds) / wallSeconds) * 100),
      // Answers per second of the contender's own CPU: on a machine shared with other work, a
      // contender starved of its core shows fewer req/s but about the same cost per answer.
      requestsPerCpuSecond:
        after.cpuSeconds > before.cpuSeconds
          ? Math.round((result.requestsPerSecond * wallSeconds) / (after.cpuSeconds - before.cpuSeconds))
          : 0,
      peakRssMB: Math.round(after.peakRssMB),
      rssMB: Math.round(after.rssMB),
      replayMisses,
    };
  } finally {
    await contender.stop();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function summarize(runs) {
  const pick = (key) => median(runs.map((run) => run[key]));
  return {
    requestsPerSecond: Math.round(pick('requestsPerSecond') * 10) / 10,
    p50: pick('p50'),
    p95: pick('p95'),
    p99: pick('p99'),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    cpuPercent: pick('cpuPercent'),
    requestsPerCpuSecond: pick('requestsPerCpuSecond'),
    peakRssMB: pick('peakRssMB'),
    bytesPerResponse: pick('bytesPerResponse'),
  };
}

async function soak(name, workload, supergraphPath, reference, seconds) {
  const contender = await startContender(name, supergraphPath);
  try {
    if (reference.length === 0) reference.push(...(await referenceBodies(contender.url, workload.requests)));
    const check = answerChecker(reference);
    await load(contender.url, workload.requests, check, warmupSeconds);
    const samples = [];
    const slice = 15;
    let errors = 0;
    for (let elapsed = 0; elapsed < seconds; elapsed += slice) {
      const result = await load(contender.url, workload.requests, check, slice);
      errors += result.errors;
      const tree = await processTree(contender.pid);
      samples.push({
        atSeconds: elapsed + slice,
        rssMB: Math.round(tree.rssMB),
        rps: Math.round(result.requestsPerSecond),
      });
    }
    const third = Math.max(1, Math.floor(samples.length / 3));
    const early = median(samples.slice(0, third).map((s) => s.rssMB));
    const late = median(samples.slice(-third).map((s) => s.rssMB));
    return { seconds, errors, samples, rssEarlyMB: early, rssLateMB: late, growthMB: late - early };
  } finally {
    await contender.stop();
  }
}

/** Written files pass `npm run format:check` as they are. */
async function formatted(file, text) {
  return prettier.format(text, { ...(await prettier.resolveConfig(file)), filepath: file });
}

const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);

async function main() {
  const names = options.contenders.split(',');
  if (names.includes('hive')) await ensureHiveInstalled();
  if (names.includes('ours') && !existsSync(join(root, 'gateway/dist/main.js'))) {
    throw new Error('gateway/dist/main.js is missing: run `npm run build` first');
  }
  for (const name of names.filter((contender) => REF_CONTENDER.test(contender))) {
    refBuilds.set(name, await buildGatewayAt(root, REF_CONTENDER.exec(name)[1]));
  }
  try {
    await runBenchmark(names);
  } finally {
    for (const build of refBuilds.values()) build.remove();
  }
}

async function runBenchmark(names) {
  const allWorkloads = await loadWorkloads();
  const backend = startBackend();
  const urls = await backend.ready;
  const report = {
    date: new Date().toISOString(),
    commit: execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim(),
    dirty: execSync('git status --porcelain gateway', { cwd: root }).toString().trim() !== '',
    machine: `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}`,
    loadavgAtStart: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    settings: { reps, warmupSeconds, durationSeconds, connections },
    workloads: {},
  };
  try {
    for (const workloadName of options.workloads.split(',')) {
      const workload = allWorkloads[workloadName];
      workload.requests = workload.requests.map((request) => ({
        ...request,
        body: JSON.stringify({ query: request.query, variables: request.variables ?? {} }),
      }));
      const supergraphPath = await writeSupergraph(workloadName, urls[workload.upstream]);
      const reference = [];
      const runs = Object.fromEntries(names.map((name) => [name, []]));
      if (options.soak) {
        report.workloads[workloadName] = { soak: {} };
        for (const name of names) {
          console.log(`soak ${workloadName} ${name} ${options.soak}s`);
          report.workloads[workloadName].soak[name] = await soak(
            name,
            workload,
            supergraphPath,
            reference,
            Number(options.soak),
          );
          console.log(JSON.stringify(report.workloads[workloadName].soak[name]));
        }
        continue;
      }
      for (let rep = 0; rep < reps; rep++) {
        // Rotate the order so no contender always runs first (or right after the noisiest one).
        const order = names.map((_, i) => names[(i + rep) % names.length]);
        for (const name of order) {
          const run = await measure(name, workload, supergraphPath, reference, backend);
          runs[name].push(run);
          console.log(
            `${workloadName} rep ${rep + 1}/${reps} ${name}: ${run.requestsPerSecond.toFixed(1)} req/s, p50 ${run.p50} ms, p99 ${run.p99} ms, errors ${run.errors}, cpu ${run.cpuPercent}% (${run.requestsPerCpuSecond} req/CPU-s), peak RSS ${run.peakRssMB} MB, replay misses ${run.replayMisses}`,
          );
        }
      }
      const summary = Object.fromEntries(names.map((name) => [name, summarize(runs[name])]));
      report.workloads[workloadName] = {
        requests: [...new Set(workload.requests.map((request) => request.name))],
        distinctRequests: workload.requests.length,
        runs,
        median: summary,
        ratios: {
          // Ours over each ours@<ref>: the working tree against that commit, same run.
          ...Object.fromEntries(
            names
              .filter((name) => REF_CONTENDER.test(name))
              .flatMap((name) => [
                [`oursOver${name}Rps`, ratio(summary.ours?.requestsPerSecond, summary[name]?.requestsPerSecond)],
                [
                  `oursOver${name}PerCpu`,
                  ratio(summary.ours?.requestsPerCpuSecond, summary[name]?.requestsPerCpuSecond),
                ],
              ]),
          ),
          // Dedup on over off, same run: what sharing identical in-flight subgraph calls pays.
          oursDedupOverOursRps: ratio(summary['ours-dedup']?.requestsPerSecond, summary.ours?.requestsPerSecond),
          oursOverStockRps: ratio(summary.ours?.requestsPerSecond, summary.stock?.requestsPerSecond),
          oursOverStockPerCpu: ratio(summary.ours?.requestsPerCpuSecond, summary.stock?.requestsPerCpuSecond),
          oursOverHiveRps: ratio(summary.ours?.requestsPerSecond, summary.hive?.requestsPerSecond),
          oursOverStockP99: ratio(summary.ours?.p99, summary.stock?.p99),
          oursOverHiveP99: ratio(summary.ours?.p99, summary.hive?.p99),
          // What the second worker adds (ours-2workers has both cores; see its contender).
          ...(names.includes('ours-2workers')
            ? {
                twoWorkersOverOursRps: ratio(
                  summary['ours-2workers']?.requestsPerSecond,
                  summary.ours?.requestsPerSecond,
                ),
                twoWorkersOverStockRps: ratio(
                  summary['ours-2workers']?.requestsPerSecond,
                  summary.stock?.requestsPerSecond,
                ),
              }
            : {}),
        },
      };
    }
  } finally {
    backend.stop();
  }
  report.loadavgAtEnd = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
  await mkdir(join(root, 'bench/results'), { recursive: true });
  const file = join(root, `bench/results/${report.date.slice(0, 19).replace(/:/g, '')}-${report.commit}.json`);
  await writeFile(file, await formatted(file, JSON.stringify(report)));
  const table = markdown(report);
  console.log(`\n${table}\nJSON: ${file}`);
  if (!options['no-append']) {
    const results = join(root, 'bench/RESULTS.md');
    await appendFile(results, `\n${table}`);
    await writeFile(results, await formatted(results, await readFile(results, 'utf8')));
  }
}

function markdown(report) {
  const lines = [
    `### ${options.soak ? 'Soak, ' : ''}${report.date.slice(0, 16).replace('T', ' ')} UTC, commit ${report.commit}${report.dirty ? ' (gateway with uncommitted changes)' : ''}`,
    '',
    `${report.machine}; load average ${report.loadavgAtStart} at start, ${report.loadavgAtEnd} at end; ${report.settings.reps} repetitions of ${report.settings.warmupSeconds} s warm-up + ${report.settings.durationSeconds} s at ${report.settings.connections} connections; medians.`,
    '',
    '| workload | contender | req/s | p50 ms | p95 ms | p99 ms | errors | CPU % | req/CPU-s | peak RSS MB | KB/response |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  if (options.soak) {
    lines.splice(
      2,
      4,
      `${report.machine}; load average ${report.loadavgAtStart} at start, ${report.loadavgAtEnd} at end; soak: ${options.soak} s per contender at ${report.settings.connections} connections after ${report.settings.warmupSeconds} s warm-up, RSS sampled every 15 s.`,
      '',
      '| workload | contender | RSS first third MB | RSS last third MB | growth MB | errors | req/s (first, last sample) |',
      '| --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const [workloadName, workload] of Object.entries(report.workloads)) {
      for (const [name, soakResult] of Object.entries(workload.soak ?? {})) {
        const { samples } = soakResult;
        lines.push(
          `| ${workloadName} | ${name} | ${soakResult.rssEarlyMB} | ${soakResult.rssLateMB} | ${soakResult.growthMB} | ${soakResult.errors} | ${samples[0]?.rps}, ${samples.at(-1)?.rps} |`,
        );
      }
    }
  }
  for (const [workloadName, workload] of Object.entries(report.workloads)) {
    for (const [name, s] of Object.entries(workload.median ?? {})) {
      lines.push(
        `| ${workloadName} | ${name} | ${s.requestsPerSecond} | ${s.p50} | ${s.p95} | ${s.p99} | ${s.errors} | ${s.cpuPercent} | ${s.requestsPerCpuSecond} | ${s.peakRssMB} | ${(s.bytesPerResponse / 1024).toFixed(1)} |`,
      );
    }
  }
  lines.push('');
  for (const [workloadName, workload] of Object.entries(report.workloads)) {
    if (!workload.ratios) continue;
    const r = workload.ratios;
    for (const [key, value] of Object.entries(r).filter(
      ([key]) => key.startsWith('oursOverours@') && key.endsWith('Rps'),
    )) {
      const ref = key.slice('oursOver'.length, -'Rps'.length);
      lines.push(
        `- ${workloadName}: throughput ours/${ref} ${value ?? 'n/a'}, per CPU second ${r[`oursOver${ref}PerCpu`] ?? 'n/a'}`,
      );
    }
    if ('twoWorkersOverOursRps' in r)
      lines.push(
        `- ${workloadName}: throughput ours-2workers/ours ${r.twoWorkersOverOursRps ?? 'n/a'}, ours-2workers/stock ${r.twoWorkersOverStockRps ?? 'n/a'} (ours-2workers on both cores)`,
      );
    if (r.oursDedupOverOursRps !== null) {
      lines.push(
        `- ${workloadName}: throughput ours-dedup/ours ${r.oursDedupOverOursRps} (in-flight deduplication, apart)`,
      );
    }
    lines.push(
      `- ${workloadName}: throughput ours/stock ${r.oursOverStockRps ?? 'n/a'} (per CPU second ${r.oursOverStockPerCpu ?? 'n/a'}), ours/hive ${r.oursOverHiveRps ?? 'n/a'}; p99 ours/stock ${r.oursOverStockP99 ?? 'n/a'}, ours/hive ${r.oursOverHiveP99 ?? 'n/a'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
