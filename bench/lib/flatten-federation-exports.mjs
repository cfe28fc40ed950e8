// Experiment (preloaded with `node --import`): @apollo/federation-internals re-exports its modules
// through TypeScript's `__exportStar`, so every call from @apollo/gateway into it
// (`(0, federation_internals_1.fn)(...)`) runs a getter; the CPU profile of the overhead workload
// puts about 5% of the gateway's time in that getter. This swaps the package's exports, in the
// CommonJS module cache, for a plain copy before anything else requires it. Exported functions and
// classes never change after the package has loaded, so the copy is equivalent (the benchmark
// checks every answer).
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/`);
const entry = require.resolve('@apollo/federation-internals');
const original = require(entry);
const flat = Object.defineProperty({}, '__esModule', { value: true });
for (const key of Object.keys(original)) flat[key] = original[key];
require.cache[entry].exports = flat;
