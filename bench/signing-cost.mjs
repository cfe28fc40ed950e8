// What signing one subgraph request costs on the gateway's hot path: the old shared-secret HMAC
// (timestamp and claims only), the per-office HMAC that replaced it (office, method, path, time,
// id, claims and the exact body), and Ed25519 (the asymmetric choice, offices holding only a
// public key), signing and verifying, on a body the size of a heavy query's entity fetch.
import { createHash, createHmac, generateKeyPairSync, hkdfSync, randomUUID, sign, verify } from 'node:crypto';
import { readCommandLine } from './lib/commandLine.mjs';

const cli = readCommandLine({
  name: 'node bench/signing-cost.mjs',
  help: `node bench/signing-cost.mjs: microseconds per signature (and verification) of a subgraph request, by scheme.

Usage: node bench/signing-cost.mjs [--body-bytes <n>] [--iterations <n>]

Options:
  --body-bytes <n>   size of the signed request body (default: 2048)
  --iterations <n>   signatures per scheme and round; Ed25519 gets a tenth (default: 100000)
  -h, --help         print this help and exit

Runs 3 rounds and prints the best of each. Single-threaded; pin it (taskset -c 0) on a busy machine.
`,
  options: { 'body-bytes': { type: 'string', default: '2048' }, iterations: { type: 'string', default: '100000' } },
});
const bodyBytes = cli.integer('--body-bytes', cli.values['body-bytes']);
const iterations = cli.integer('--iterations', cli.values.iterations);

const master = 'benchmark-only-signing-secret-0123456789';
const officeKey = Buffer.from(
  hkdfSync('sha256', master, Buffer.alloc(0), 'cip-office-signing-v2:partners', 32),
).toString('base64url');
const keyId = createHash('sha256').update(officeKey).digest('hex').slice(0, 16);
const claims = Buffer.from(JSON.stringify({ authenticated: true, subject: 'ana', scopes: ['analyst'] })).toString(
  'base64url',
);
const body = JSON.stringify({
  query:
    'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Partner { id name } } }',
  variables: { representations: [] },
}).padEnd(bodyBytes, ' ');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

const schemes = {
  'HMAC-SHA256, old (t.claims, shared secret)': () => {
    const t = String(Date.now());
    return `t=${t},v1=${createHmac('sha256', master).update(`${t}.${claims}`).digest('hex')}`;
  },
  'HMAC-SHA256, per office (+ method, path, id, body)': () => {
    const t = String(Date.now());
    const id = randomUUID();
    const mac = createHmac('sha256', officeKey)
      .update(`cip-signature-v2\ngateway\npartners\nPOST\n/graphql\n${t}\n${id}\n${claims}\n`)
      .update(body)
      .digest('base64url');
    return `v2,kid=${keyId},iss=gateway,t=${t},id=${id},sig=${mac}`;
  },
  'Ed25519 sign (same string and body)': () => {
    const t = String(Date.now());
    const id = randomUUID();
    const message = Buffer.concat([
      Buffer.from(`cip-signature-v2\ngateway\npartners\nPOST\n/graphql\n${t}\n${id}\n${claims}\n`),
      Buffer.from(body),
    ]);
    return sign(null, message, privateKey).toString('base64url');
  },
};
const edMessage = Buffer.from(`x\n${claims}\n${body}`);
const edSignature = sign(null, edMessage, privateKey);
const verifiers = {
  'Ed25519 verify (at the office)': () => verify(null, edMessage, publicKey, edSignature),
};

function measure(run, count) {
  let best = Infinity;
  for (let round = 0; round < 3; round += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < count; i += 1) run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1_000 / count);
  }
  return best;
}

console.log(`body ${bodyBytes} bytes; best of 3 rounds; node ${process.version}`);
for (const [name, run] of Object.entries({ ...schemes, ...verifiers })) {
  const count = name.startsWith('Ed25519') ? Math.max(1, Math.floor(iterations / 10)) : iterations;
  const micros = measure(run, count);
  console.log(
    `${name.padEnd(52)} ${micros.toFixed(2).padStart(8)} µs/op  ${(16 * micros).toFixed(1).padStart(8)} µs per 16 subgraph calls`,
  );
}
