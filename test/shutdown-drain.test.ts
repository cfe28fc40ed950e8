import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { faults, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';
import { startEntry } from '@cip/testing/processes';

describe('graceful shutdown', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ SUBGRAPH_TIMEOUT_MS: '10000' });
  });
  afterAll(() => lab.stop());

  it('stop() lets an in-flight slow request finish, then refuses new connections', async () => {
    lab.flaky.fault = faults.sleep(500);
    const before = lab.flaky.received.total;
    const slow = lab.query('{ stable flaky }');
    await vi.waitFor(() => expect(lab.flaky.received.total).toBe(before + 1));
    const stopped = lab.gateway.stop();
    const { status, data, errors } = await slow;
    await stopped;
    expect(status).toBe(200);
    expect(errors).toBeUndefined();
    expect(data).toEqual({ stable: 'ok', flaky: 'fine' });
    await expect(fetch(lab.gatewayUrl)).rejects.toThrow();
    // Already stopped: the lab's own stop must not stop it twice.
    lab.gateway.stop = async () => undefined;
  });
});

describe('graceful shutdown with a request that never ends', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ SHUTDOWN_DRAIN_MS: '300' });
  });
  afterAll(() => lab.stop());

  it('cuts it after the drain deadline, so stop() still finishes', async () => {
    lab.flaky.fault = faults.hang();
    const before = lab.flaky.received.total;
    const hung = lab.query('{ flaky }').then(
      () => 'answered',
      () => 'cut',
    );
    await vi.waitFor(() => expect(lab.flaky.received.total).toBe(before + 1));
    await lab.gateway.stop();
    expect(await hung).toBe('cut');
    lab.gateway.stop = async () => undefined;
  });
});

describe('the gateway process on SIGTERM', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ SUBGRAPH_TIMEOUT_MS: '10000' });
  });
  afterAll(() => lab.stop());

  it('drains a slow request, then exits 0', async () => {
    const gateway = startEntry('gateway/src/main.ts', {
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: '0',
      SUPERGRAPH_PATH: lab.supergraphPath,
      SUPERGRAPH_WATCH: 'false',
      TRUSTED_DOCUMENTS: 'off',
      SUBGRAPH_URLS: `stable=${lab.stable.url},flaky=${lab.flaky.url}`,
    });
    const [, url] = await gateway.waitFor(/"url":"([^"]+)","msg":"gateway listening"/);
    lab.flaky.fault = faults.sleep(500);
    const before = lab.flaky.received.total;
    const slow = fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ stable flaky }' }),
    }).then((response) => response.json());
    await vi.waitFor(() => expect(lab.flaky.received.total).toBe(before + 1), { timeout: 30_000 });
    const exited = gateway.stop('SIGTERM');
    expect(await slow).toEqual({ data: { stable: 'ok', flaky: 'fine' } });
    expect(await exited).toBe(0);
  });
});
