import type { Server } from 'node:http';
import { connect } from 'node:net';
import { rawExchange } from '@cip/testing/raw-http';
import { afterEach, describe, expect, it } from 'vitest';
import { close, createHttpServer, listen } from './http.js';

describe("createHttpServer: Node's own refusals as coded JSON errors", () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server) await close(server);
    server = undefined;
  });

  const start = async (handler: Parameters<typeof createHttpServer>[0] = (_req, res) => res.end('ok')) => {
    server = createHttpServer(handler);
    return listen(server, '127.0.0.1', 0);
  };

  /** Reads the whole body first, as the GraphQL handler does, so an error in it is the parser's. */
  const readingBody: Parameters<typeof createHttpServer>[0] = (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  };

  it.each([
    [
      'headers over 16 KB',
      431,
      'REQUEST_HEADERS_TOO_LARGE',
      `GET / HTTP/1.1\r\nhost: x\r\ncookie: ${'c'.repeat(20_000)}\r\n\r\n`,
    ],
    ['a request line that is not HTTP', 400, 'BAD_REQUEST', 'HELLO\r\n\r\n'],
    ['a header line without a colon', 400, 'BAD_REQUEST', 'GET / HTTP/1.1\r\nhost x\r\n\r\n'],
    [
      'chunk extensions over 16 KB',
      413,
      'PAYLOAD_TOO_LARGE',
      `POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1;${'e'.repeat(20_000)}\r\na\r\n0\r\n\r\n`,
    ],
  ])('%s: %i %s, as JSON, and the connection closed', async (_, status, code, bytes) => {
    const url = await start(readingBody);
    const response = await rawExchange(url, bytes);
    expect(response.status).toBe(status);
    expect(response.head).toMatch(/^content-type: application\/json; charset=utf-8$/im);
    expect(response.head).toMatch(/^connection: close$/im);
    expect(JSON.parse(response.body)).toEqual({
      errors: [{ message: expect.any(String) as string, extensions: { code } }],
    });
  });

  it('answers well-formed requests as before', async () => {
    const url = await start();
    expect(await rawExchange(url, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n')).toMatchObject({ status: 200, body: 'ok' });
  });

  it('writes nothing into a response already under way: a bad request pipelined behind it only closes the socket', async () => {
    const url = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      setTimeout(() => res.end(' rest'), 5_000).unref();
    });
    const { hostname, port } = new URL(url);
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        // The response has started: now the next request on this connection is malformed.
        if (!text) socket.write('HELLO\r\n\r\n');
        text += chunk.toString('latin1');
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(received).toMatch(/^HTTP\/1.1 200 OK\r\n[^]*partial/);
    expect(received).not.toContain('BAD_REQUEST');
    expect(received).not.toContain('rest');
  });
});
