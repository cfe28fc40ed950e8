import { createServer, type IncomingHttpHeaders } from 'node:http';
import { close, listen } from '@cip/core';

/** One request as it went over the wire between the gateway and an office: what an eavesdropper keeps. */
export interface CapturedRequest {
  method: string;
  /** Path and query string, as in the request line. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface CapturingProxy {
  /** Where to send requests meant for `target` (its `/graphql` path included). */
  url: string;
  /** Every request that went through, in order. */
  captured: CapturedRequest[];
  /** Where requests are forwarded (set once the office listens). */
  target: string;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

/** The headers a request would be sent again with (hop-by-hop ones dropped: fetch sets its own). */
export function replayHeaders(captured: CapturedRequest): Record<string, string> {
  return Object.fromEntries(
    Object.entries(captured.headers).flatMap(([name, value]) =>
      HOP_BY_HOP.has(name) || value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : value]],
    ),
  );
}

/** Sends a captured request (or a changed copy) to `url`, as an attacker who kept it would. */
export async function replay(url: string, captured: CapturedRequest): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method: captured.method, headers: replayHeaders(captured), body: captured.body });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

/**
 * A real HTTP proxy on port 0 in front of one office, recording each request exactly as it passed
 * (method, path, headers, body bytes) before forwarding it unchanged: a wiretap between gateway and office.
 */
export async function startCapturingProxy(): Promise<CapturingProxy> {
  const proxy: CapturingProxy = { url: '', captured: [], target: '', stop: async () => undefined };
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      const captured = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      proxy.captured.push(captured);
      const upstream = await fetch(new URL(captured.path, proxy.target), {
        method: captured.method,
        headers: replayHeaders(captured),
        ...(captured.method === 'GET' ? {} : { body: captured.body }),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
      res.end(body);
    })().catch(() => {
      res.writeHead(502).end();
    });
  });
  proxy.url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
  proxy.stop = () => close(server);
  return proxy;
}
