import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of an office, for what the network does to it: `cut` drops every connection
 * through it (HTTP and WebSocket alike) and refuses new ones, as an office that died would;
 * `restore` listens again on the same port, as the office restarted. The target is set once the
 * office listens (its port is not known before).
 */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>/graphql`, to name as the office's URL. */
  readonly url: string;
  /** `host:port` of the office. */
  target: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTcpProxy(): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server;
  const proxy = {
    url: '',
    target: '',
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
    async restore() {
      await listenOn(port);
    },
    async stop() {
      if (server.listening) await proxy.cut();
    },
  };
  const listenOn = (at: number) => {
    server = createServer((client) => {
      const [host, targetPort] = proxy.target.split(':');
      const upstream = connect(Number(targetPort), host ?? '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
    return new Promise<void>((resolve) => server.listen(at, '127.0.0.1', () => resolve()));
  };
  await listenOn(0);
  const address = server!.address();
  port = typeof address === 'object' && address ? address.port : 0;
  proxy.url = `http://127.0.0.1:${port}/graphql`;
  return proxy;
}
