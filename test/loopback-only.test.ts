import dns from 'node:dns';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/;

/**
 * The gateway and subgraphs must never contact anything but each other: no Apollo telemetry, no
 * cloud metadata probes, no CDN. Every outgoing TCP connection and DNS lookup of the whole system
 * is recorded while it starts and answers queries.
 */
describe('network use', () => {
  const connections: string[] = [];
  const lookups: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be re-applied to each socket
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  let system: RunningSystem;

  beforeAll(async () => {
    // The code must switch Apollo's telemetry off itself, whatever the environment says.
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
      const [first] = args;
      const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as {
        host?: string;
        path?: string;
      };
      connections.push(options.path ?? options.host ?? 'localhost');
      return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
    };
    dns.lookup = ((hostname: string, ...rest: unknown[]) => {
      lookups.push(hostname);
      return (originalLookup as (...a: unknown[]) => void)(hostname, ...rest);
    }) as typeof dns.lookup;
    system = await startSystem();
  });

  afterAll(async () => {
    await system.stop();
    net.Socket.prototype.connect = originalConnect;
    dns.lookup = originalLookup;
  });

  it('opens connections to loopback only, while starting and answering cross-office queries', async () => {
    const { errors } = await system.query(`{
      partner(id: "united-kingdom") { agreements { nodes { title sectors { name } threatFocusAreas { name } } } }
      sector(id: "energy") { agreements { totalCount } threatFocusAreas { name } cascade { sector { name } } }
    }`);
    expect(errors).toBeUndefined();
    // Wait a moment for anything a constructor scheduled (Apollo's exporter fires on a timer).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(connections.length).toBeGreaterThan(0); // the recorder sees the gateway's own subgraph calls
    expect(connections.filter((host) => !LOOPBACK.test(host))).toEqual([]);
    expect(lookups.filter((host) => !LOOPBACK.test(host))).toEqual([]);
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
  });
});
