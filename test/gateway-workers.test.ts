import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labGatewayEnv } from '@cip/testing/config';
import { faults, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';
import { startEntry, type EntryProcess } from '@cip/testing/processes';
import { rawExchange } from '@cip/testing/raw-http';
import { eventually } from '@cip/testing/suites';

const QUERY = JSON.stringify({ query: '{ stable }' });

/** One GraphQL request on a connection of its own (closed after it), so the cluster can hand it to any worker. */
async function queryOnNewConnection(url: string, requestId: string) {
  const { host, pathname } = new URL(url);
  return rawExchange(
    url,
    `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(QUERY)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${QUERY}`,
  );
}

/** `/metrics`, scraped on a connection of its own. */
async function scrape(url: string): Promise<string> {
  const { host } = new URL(url);
  const { status, body } = await rawExchange(
    url,
    `GET /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  );
  expect(status).toBe(200);
  return body;
}

/** The sum of a series' samples on `/metrics` whose labels contain `labels`. */
async function seriesSum(url: string, name: string, labels = ''): Promise<number> {
  return (await scrape(url))
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

/** The pid of each process that logged "msg" (pino puts its pid on every line). */
function pidsLogging(gateway: EntryProcess, msg: string, extra = ''): Set<number> {
  const pids = gateway
    .output()
    .stdout.split('\n')
    .filter((line) => line.includes(`"msg":"${msg}"`) && line.includes(extra))
    .map((line) => (JSON.parse(line) as { pid: number }).pid);
  return new Set(pids);
}

describe('GATEWAY_WORKERS=2: two gateway processes on one port', () => {
  let lab: FaultLab;
  let gateway: EntryProcess;
  let url: string;
  let sent = 0;

  beforeAll(async () => {
    lab = await startFaultLab({ SUBGRAPH_TIMEOUT_MS: '10000' });
    gateway = startEntry('gateway/src/main.ts', {
      ...labGatewayEnv(lab.supergraphPath),
      LOG_LEVEL: 'info',
      PORT: '0',
      GATEWAY_WORKERS: '2',
      SUBGRAPH_URLS: `stable=${lab.stable.url},flaky=${lab.flaky.url}`,
    });
    // The primary's line, once every worker listens.
    [, url = ''] = await gateway.waitFor(/"workers":2,"url":"([^"]+)","msg":"gateway workers listening"/);
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop('SIGKILL');
    await lab?.stop();
  });

  it('answers on the one port from two distinct worker processes', async () => {
    await eventually(async () => {
      const response = await queryOnNewConnection(url, `workers-${++sent}`);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ data: { stable: 'ok' } });
      return pidsLogging(gateway, 'request', '"requestId":"workers-').size === 2;
    }, 'requests answered by both workers');
    const pids = pidsLogging(gateway, 'request', '"requestId":"workers-');
    expect(pids.has(gateway.child.pid!)).toBe(false);
  });

  it('serves the cluster-wide sum on /metrics, from whichever worker takes the scrape', async () => {
    // Each scrape on a new connection, so that the scrapes land on both workers: each gives the whole sum.
    for (let scrapes = 0; scrapes < 4; scrapes++) {
      expect(await scrape(url)).toMatch(/^cip_gateway_workers 2$/m);
      expect(await seriesSum(url, 'cip_gateway_requests_total')).toBe(sent);
      expect(await seriesSum(url, 'cip_gateway_requests_total', 'outcome="success"')).toBe(sent);
    }
  });

  it('starts another worker when one dies, and keeps answering', async () => {
    const [victim] = pidsLogging(gateway, 'gateway listening');
    process.kill(victim!, 'SIGKILL');
    await gateway.waitFor(
      new RegExp(
        `"workerPid":${victim},"code":null,"signal":"SIGKILL","msg":"a gateway worker exited unexpectedly; starting another"`,
      ),
    );
    await eventually(async () => pidsLogging(gateway, 'gateway listening').size === 3, 'a third worker listening');
    const response = await queryOnNewConnection(url, `after-restart-${++sent}`);
    expect(JSON.parse(response.body)).toEqual({ data: { stable: 'ok' } });
  });

  it('on SIGTERM drains an in-flight slow request in every worker, then exits 0', async () => {
    lab.flaky.fault = faults.sleep(500);
    const before = lab.flaky.received.total;
    const slow = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ stable flaky }' }),
    }).then((response) => response.json());
    await eventually(async () => lab.flaky.received.total === before + 1, 'the slow request reached its subgraph');
    const exited = gateway.stop('SIGTERM');
    expect(await slow).toEqual({ data: { stable: 'ok', flaky: 'fine' } });
    expect(await exited).toBe(0);
    const listening = pidsLogging(gateway, 'gateway listening');
    const stopping = pidsLogging(gateway, 'stopping');
    // Both live workers drained (the one killed above never got the signal).
    expect(stopping.size).toBe(2);
    for (const pid of stopping) expect(listening.has(pid)).toBe(true);
  });
});

describe('GATEWAY_WORKERS refused', () => {
  it('exits 78 naming the variable', async () => {
    const gateway = startEntry('gateway/src/main.ts', { GATEWAY_WORKERS: 'many', PORT: '0' });
    expect(await gateway.exited).toBe(78);
    expect(gateway.output().stderr).toMatch(/GATEWAY_WORKERS="many": expected a positive integer or auto/);
  });
});
