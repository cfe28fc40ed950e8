import { Gauge, type Registry } from 'prom-client';
import type { ChangeFeed } from './feed.js';
import type { ChangeSocket } from './socket.js';

/** The office's live changes on its `/metrics`: open sockets and live subscriptions, read when scraped. */
export function registerChangeMetrics(registry: Registry, feed: ChangeFeed, sockets: ChangeSocket): void {
  new Gauge({
    name: 'cip_subgraph_live_connections',
    help: 'WebSocket connections open to the office (the gateway opens one per client subscription)',
    registers: [registry],
    collect() {
      this.set(sockets.connections);
    },
  });
  new Gauge({
    name: 'cip_subgraph_live_subscriptions',
    help: "Subscriptions listening to the office's committed changes",
    registers: [registry],
    collect() {
      this.set(feed.subscribers);
    },
  });
}
