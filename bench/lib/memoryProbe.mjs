// Preloaded into a contender by bench/memory.mjs (`node --import`): on SIGUSR2 writes what the
// process holds (process.memoryUsage, V8 heap spaces, loaded modules) as JSON to MEMORY_PROBE_OUT,
// after a full GC when --expose-gc is given, so live memory is told apart from garbage not yet collected.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createRequire } from 'node:module';
import v8 from 'node:v8';

const require = createRequire(import.meta.url);
const out = process.env.MEMORY_PROBE_OUT;
let probe = 0;

/** Loaded CommonJS modules per package (ESM modules are not in require.cache; counted by their package when they load CJS). */
function modulesByPackage() {
  const counts = {};
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
    const name = match ? match[1] : 'ours';
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([, a], [, b]) => b - a));
}

// MEMORY_PROBE_ALLOCATIONS=1: a sampling allocation profile from the first probe to the second,
// garbage included (node --heap-prof keeps only what is still alive at exit: start-up, mostly).
const allocations = process.env.MEMORY_PROBE_ALLOCATIONS === '1' ? new Session() : undefined;
allocations?.connect();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    allocations.post(method, params, (error, result) => (error ? reject(error) : resolve(result))),
  );

process.on('SIGUSR2', async () => {
  probe += 1;
  if (allocations && probe === 1) {
    await post('HeapProfiler.startSampling', {
      samplingInterval: 64 * 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else if (allocations && probe === 2) {
    const { profile } = await post('HeapProfiler.stopSampling');
    writeFileSync(`${out}.allocations.heapprofile`, JSON.stringify(profile));
  }
  const before = process.memoryUsage();
  globalThis.gc?.();
  const after = process.memoryUsage();
  const mb = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const toMb = (usage) => Object.fromEntries(Object.entries(usage).map(([key, value]) => [key, mb(value)]));
  const report = {
    probe,
    beforeGc: toMb(before),
    afterGc: toMb(after),
    heapSpaces: Object.fromEntries(
      v8
        .getHeapSpaceStatistics()
        .map((space) => [space.space_name, { size: mb(space.space_size), used: mb(space.space_used_size) }]),
    ),
    heapStats: toMb(v8.getHeapStatistics()),
    modules: Object.keys(require.cache).length,
    modulesByPackage: modulesByPackage(),
  };
  if (process.env.MEMORY_PROBE_SNAPSHOT === '1' && probe > 1)
    report.snapshot = v8.writeHeapSnapshot(`${out}.${probe}.heapsnapshot`);
  writeFileSync(`${out}.${probe}.json`, JSON.stringify(report, null, 2));
});
