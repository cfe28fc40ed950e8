import { createServer } from 'node:http';
import { listen } from '@cip/core';
import { startEntry } from '@cip/testing/processes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A stand-in OTLP/HTTP collector on port 0: keeps every body posted to /v1/traces. */
async function startCollector() {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const url = await listen(server, '127.0.0.1', 0);
  return { url, bodies, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('exporting traces over OTLP, only when an endpoint is configured', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(() => collector.close());

  it("a subgraph running alone exports its span, in the caller's trace, and flushes it on SIGTERM", async () => {
    const partners = startEntry('subgraphs/partners/src/index.ts', {
      PORT: '0',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/v1/traces`,
    });
    const [, url] = await partners.waitFor(/"url":"([^"]+)","msg":"subgraph listening"/);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ query: '{ partner(id: "g8") { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(await partners.stop('SIGTERM')).toBe(0);
    const exported = Buffer.concat(collector.bodies);
    // OTLP/HTTP carries the trace id as hex (JSON) or as raw bytes (protobuf).
    const found = exported.toString('utf8').includes(traceId) || exported.includes(Buffer.from(traceId, 'hex'));
    expect(found).toBe(true);
    expect(exported.toString('utf8')).toContain('subgraph partners');
  });
});
