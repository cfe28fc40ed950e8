import { createServer } from 'node:http';
import { listen, close } from '@cip/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSubgraphClient } from './subgraphClient.js';

describe('subgraph client', () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': req.headers['x-request'] ?? '' });
      res.end(JSON.stringify({ data: { echo: body } }));
    });
  });
  const sockets = new Set<unknown>();
  server.on('connection', (socket) => sockets.add(socket));
  afterEach(() => close(server));

  it('reuses keep-alive connections across requests and reads JSON', async () => {
    const url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
    const client = createSubgraphClient({ connections: 4, keepAliveMs: 10_000 });
    for (let i = 0; i < 20; i++) {
      const response = await client.fetcher(url, {
        method: 'POST',
        headers: { 'x-request': String(i) },
        body: `{"n":${i}}`,
      });
      expect(response.ok).toBe(true);
      expect(response.headers.get('x-echo')).toBe(String(i));
      expect(await response.json()).toEqual({ data: { echo: `{"n":${i}}` } });
    }
    // Twenty sequential requests over at most two connections (undici may open a second while the
    // first finishes reading), never one per request.
    expect(sockets.size).toBeLessThanOrEqual(2);
    await client.close();
  });

  it('reports a refused connection as an error with its code', async () => {
    const client = createSubgraphClient({ connections: 1, keepAliveMs: 1_000 });
    const url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
    await close(server);
    await expect(client.fetcher(url, { method: 'POST', body: '{}' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await client.close();
  });
});
