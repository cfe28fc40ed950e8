import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const REQUESTS = 3_000;
const CONCURRENCY = 16;

describe('a bounded load on loopback while one office restarts', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ BREAKER_COOL_DOWN_MS: '200' });
  });
  afterAll(() => lab.stop());

  it('fails no request that does not touch the restarting office, and memory stays flat', async () => {
    // Warm up (plans cached, connections open) before the memory baseline.
    for (let i = 0; i < 200; i += 1) await lab.query('{ stable items { name } }');
    const baseline = heapAfterGc();

    let sent = 0;
    let untouchedFailures = 0;
    let touchingAnswered = 0;
    const restarts = (async () => {
      for (let round = 0; round < 3; round += 1) {
        while (sent < ((round + 1) * REQUESTS) / 4) await new Promise((resolve) => setTimeout(resolve, 5));
        await lab.flaky.kill();
        await new Promise((resolve) => setTimeout(resolve, 50));
        await lab.flaky.restart();
      }
    })();
    const worker = async () => {
      while (sent < REQUESTS) {
        const index = sent++;
        if (index % 4 === 0) {
          // Touches the restarting office: may fail, must answer with the healthy part.
          const { status, data } = await lab.query('{ stable flaky }');
          expect(status).toBe(200);
          expect(data!.stable).toBe('ok');
          touchingAnswered += 1;
        } else {
          const { status, errors, data } = await lab.query('{ stable items { name } }');
          if (status !== 200 || errors || data?.items?.length !== 2) untouchedFailures += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await restarts;

    expect(untouchedFailures).toBe(0);
    expect(touchingAnswered).toBe(REQUESTS / 4);
    const growthMb = (heapAfterGc() - baseline) / 1_048_576;
    expect(growthMb).toBeLessThan(30);
  }, 120_000);
});
