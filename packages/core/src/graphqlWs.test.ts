import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { buildSchema } from 'graphql';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { serveGraphqlWs } from './graphqlWs.js';
import { listen } from './http.js';

const schema = buildSchema('type Query { hello: String }');

/** A server with graphql-ws on it, its log lines kept as parsed JSON. */
async function start(options: { failOnConnect?: boolean } = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );
  const http: Server = createServer();
  const sockets = new WebSocketServer({ server: http, maxPayload: 1_000 });
  const served = serveGraphqlWs(
    {
      schema,
      roots: { query: { hello: () => 'world' } },
      onConnect: () => {
        if (options.failOnConnect) throw new Error('a bug of ours, with a secret: s3cr3t');
        return true;
      },
    },
    sockets,
    logger,
  );
  const url = (await listen(http, '127.0.0.1', 0)).replace('http', 'ws');
  return {
    lines,
    url,
    async stop() {
      await served.dispose();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function open(url: string) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const messages: Record<string, unknown>[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  return { socket, messages, closed, opened };
}

describe('serveGraphqlWs', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await stop?.();
    stop = undefined;
  });

  it('serves graphql-transport-ws: an operation is answered over the socket', async () => {
    const server = await start();
    stop = () => server.stop();
    const client = open(server.url);
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'connection_init' }));
    await vi.waitFor(() => expect(client.messages).toEqual([{ type: 'connection_ack' }]));
    client.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ hello }' } }));
    await vi.waitFor(() => expect(client.messages.map((message) => message.type)).toContain('complete'));
    expect(client.messages).toEqual([
      { type: 'connection_ack' },
      { id: '1', type: 'next', payload: { data: { hello: 'world' } } },
      { id: '1', type: 'complete' },
    ]);
    client.socket.close();
  });

  it('a frame over maxPayload closes that socket with 1009, logged at warn without a stack, nothing on console.error', async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = await start();
    stop = () => server.stop();
    const client = open(server.url);
    await client.opened;
    client.socket.send('x'.repeat(1_001));
    expect((await client.closed).code).toBe(1009);
    await vi.waitFor(() => expect(server.lines.some((line) => line.msg === 'WebSocket client error')).toBe(true));
    const line = server.lines.find((candidate) => candidate.msg === 'WebSocket client error')!;
    expect(line).toMatchObject({ level: 40, reason: 'Max payload size exceeded' });
    expect(JSON.stringify(line)).not.toMatch(/\bat \w|receiver\.js/);
    expect(consoleError).not.toHaveBeenCalled();
  });

  it("an error in our own callbacks closes with 4500 (graphql-ws' internal error) and no detail, logged at error", async () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const server = await start({ failOnConnect: true });
    stop = () => server.stop();
    const client = open(server.url);
    await client.opened;
    client.socket.send(JSON.stringify({ type: 'connection_init' }));
    expect(await client.closed).toEqual({ code: 4500, reason: 'Internal server error' });
    await vi.waitFor(() => expect(server.lines.some((line) => line.level === 50)).toBe(true));
    expect(consoleError).not.toHaveBeenCalled();
  });
});
