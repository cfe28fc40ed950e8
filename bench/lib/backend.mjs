// The benchmark's back end, one process on the load generator's core: the four real subgraphs over a
// scratch PostgreSQL database holding the generated data set, and in front of each a replaying
// proxy for the gateway-overhead workload. The proxy answers a request body it has seen before from
// memory (by body hash) and forwards one it has not to the real subgraph, keeping the answer, so
// each contender's own subgraph requests are recorded once (during its warm-up) and replayed at
// near-zero cost afterwards. Started by bench/run.mjs with an IPC channel; prints nothing.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { prepareDatabase, startOffices } from './offices.mjs';

function replayProxy(name, upstreamUrl) {
  const upstream = new URL(upstreamUrl);
  const pool = new Pool(upstream.origin, { connections: 64 });
  const recorded = new Map();
  const stats = { hits: 0, misses: 0 };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const key = createHash('sha1').update(body).digest('base64');
      let answer = recorded.get(key);
      if (answer) stats.hits++;
      else {
        stats.misses++;
        try {
          const response = await pool.request({
            path: upstream.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          });
          answer = { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
          if (answer.status === 200) recorded.set(key, answer);
        } catch (error) {
          answer = { status: 502, body: Buffer.from(JSON.stringify({ errors: [{ message: String(error) }] })) };
        }
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': answer.body.length });
      res.end(answer.body);
    });
  });
  return { name, server, stats, recorded, pool };
}

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)),
  );
}

await prepareDatabase();
const offices = await startOffices();
const proxies = [];
const subgraphUrls = offices.urls;
const replayUrls = {};
for (const [name, url] of Object.entries(subgraphUrls)) {
  const proxy = replayProxy(name, url);
  proxies.push(proxy);
  replayUrls[name] = `${await listen(proxy.server)}/graphql`;
}

process.on('message', async (message) => {
  if (message.type === 'stats') {
    process.send({
      type: 'stats',
      replay: Object.fromEntries(proxies.map((p) => [p.name, { ...p.stats, recorded: p.recorded.size }])),
    });
    for (const proxy of proxies) Object.assign(proxy.stats, { hits: 0, misses: 0 });
  } else if (message.type === 'stop') {
    for (const proxy of proxies) {
      proxy.server.close();
      await proxy.pool.close();
    }
    await offices.stop();
    process.exit(0);
  }
});
process.send({ type: 'ready', subgraphUrls, replayUrls });
