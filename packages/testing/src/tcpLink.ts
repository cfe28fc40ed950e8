import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpLink {
  /** `target` with this link's host and port: what to give the client instead. */
  url: string;
  /** What the target answered first on each connection (an HTTP response's head and start), in order. */
  readonly answers: string[];
  /** Drops every open connection at once, as a network failure or an office's restart would. */
  cut(): void;
  stop(): Promise<void>;
}

/**
 * A TCP relay between a client and `target` (an http:// URL), byte for byte, so WebSocket upgrades
 * and their sockets go through it unchanged; a test cuts it to drop a live connection.
 */
export async function startTcpLink(target: string): Promise<TcpLink> {
  const to = new URL(target);
  const open = new Set<Socket>();
  const answers: string[] = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host: to.hostname, port: Number(to.port) });
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    }
    upstream.once('data', (chunk: Buffer) => answers.push(chunk.toString('latin1')));
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cut = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    url: url.toString(),
    answers,
    cut,
    stop: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
