// What @defer buys a client: against a running gateway (`npm start`), the time to the first bytes
// and to the whole answer of a profile whose agreements' sectors' cascades are deferred, streamed
// (multipart/mixed; deferSpec=20220824) and as one JSON response. Usage: node bench/defer.mjs [<requests>]
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/defer.mjs',
  help: `node bench/defer.mjs: times a deferred operation's first payload and whole answer, streamed and as one JSON response.

Usage: node bench/defer.mjs [<requests>] [--url <url>]

Arguments:
  <requests>          timed requests per mode, after three warm-up requests (default: 30)

Options:
  --url <url>         the gateway's GraphQL endpoint (default: http://127.0.0.1:4000/graphql)
  -h, --help          print this help and exit

Needs a running gateway (\`npm start\`). Prints, per mode, the median and worst ms to the first bytes and to the end.
`,
  options: { url: { type: 'string' } },
  positionals: 1,
});
const requests = cli.integer('<requests>', cli.positionals[0] ?? '30');
const url = cli.values.url ?? 'http://127.0.0.1:4000/graphql';

const query = `{ partner(id: "canada") { name region ... @defer { agreements(first: 50) { nodes { title
  sectors { name cascade(maxHops: 10) { hops sector { name } } } } } } } }`;
const modes = [
  ['streamed', 'multipart/mixed;deferSpec=20220824, application/json'],
  ['one JSON response', 'application/json'],
];

async function timeOne(accept) {
  const start = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ query }),
  });
  const reader = response.body.getReader();
  let first;
  for (;;) {
    const { done } = await reader.read();
    first ??= performance.now() - start;
    if (done) break;
  }
  return { first, total: performance.now() - start };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [mode, accept] of modes) {
  for (let index = 0; index < 3; index++) await timeOne(accept);
  const runs = [];
  for (let index = 0; index < requests; index++) runs.push(await timeOne(accept));
  const firsts = runs.map((run) => run.first);
  const totals = runs.map((run) => run.total);
  console.log(
    `${mode.padEnd(18)} first bytes: median ${median(firsts).toFixed(1)} ms, worst ${Math.max(...firsts).toFixed(1)} ms;` +
      ` whole answer: median ${median(totals).toFixed(1)} ms, worst ${Math.max(...totals).toFixed(1)} ms`,
  );
}
