import type { IncomingMessage } from 'node:http';
import { GATEWAY_CLAIMS_HEADER, decodeClaims } from '@cip/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFaultLab, type Fault, type FaultLab } from '@cip/testing/fault-lab';
import { eventually } from '@cip/testing/suites';
import { TEST_AUTH, makeToken } from '@cip/testing/tokens';

const SHARED = 'cip_gateway_subgraph_shared_calls_total{subgraph="flaky"}';

/**
 * Holds every request to the office until `release()`, so the requests a test sends are all in
 * flight at once however busy the machine is; records the caller's claims of each.
 */
function holdOffice(lab: FaultLab) {
  const waiting: (() => void)[] = [];
  const claims: string[] = [];
  let released = false;
  const hold: Fault = (req: IncomingMessage) => {
    claims.push(String(req.headers[GATEWAY_CLAIMS_HEADER]));
    if (released) return false;
    return new Promise((resolve) => waiting.push(() => resolve(false)));
  };
  lab.flaky.fault = hold;
  return {
    claims,
    release() {
      released = true;
      for (const answer of waiting.splice(0)) answer();
    },
  };
}

describe('in-flight deduplication of identical subgraph queries (SUBGRAPH_DEDUP=on, the default)', () => {
  let lab: FaultLab;
  let office: ReturnType<typeof holdOffice> | undefined;
  beforeAll(async () => {
    // A breaker that never opens here: a test that fails by timing out must not fail the next one.
    lab = await startFaultLab({ ...TEST_AUTH, BREAKER_FAILURE_THRESHOLD: '1000' });
  });
  afterEach(() => {
    office?.release();
    lab.flaky.fault = undefined;
  });
  afterAll(() => lab.stop());

  const bearer = async (subject: string) => ({ authorization: `Bearer ${await makeToken({ subject })}` });

  it('N identical concurrent queries from one caller make one call to the office, and all N get the answer', async () => {
    const caller = await bearer('analyst-a');
    const [receivedBefore, sharedBefore] = [lab.flaky.received.total, await lab.metric(SHARED)];
    office = holdOffice(lab);
    const answers = Array.from({ length: 5 }, () => lab.query('{ stable flaky }', caller));
    await eventually(async () => (await lab.metric(SHARED)) - sharedBefore === 4, 'four requests joined the first');
    office.release();
    for (const answer of await Promise.all(answers)) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ stable: 'ok', flaky: 'fine' });
    }
    expect(lab.flaky.received.total - receivedBefore).toBe(1);
  });

  it('two callers (other claims) asking the same at once make two calls, each with its own claims', async () => {
    const [callerA, callerB] = [await bearer('analyst-a'), await bearer('analyst-b')];
    const [receivedBefore, sharedBefore] = [lab.flaky.received.total, await lab.metric(SHARED)];
    office = holdOffice(lab);
    const answers = [callerA, callerB, callerA, callerB].map((caller) => lab.query('{ flaky }', caller));
    await eventually(
      async () => (await lab.metric(SHARED)) - sharedBefore === 2,
      "each caller's second request joined",
    );
    await eventually(async () => lab.flaky.received.total - receivedBefore === 2, 'one call per caller arrived');
    office.release();
    for (const answer of await Promise.all(answers)) expect(answer.data).toEqual({ flaky: 'fine' });
    expect(lab.flaky.received.total - receivedBefore).toBe(2);
    const subjects = office.claims.map((claims) => decodeClaims(claims).subject);
    expect(subjects.sort()).toEqual(['analyst-a', 'analyst-b']);
  });

  it('identical concurrent mutations are never merged: each is sent and takes effect', async () => {
    const caller = await bearer('analyst-a');
    const [mutationsBefore, sharedBefore] = [lab.flaky.received.mutations, await lab.metric(SHARED)];
    office = holdOffice(lab);
    const answers = Array.from({ length: 3 }, () => lab.query('mutation { touch }', caller));
    await eventually(async () => lab.flaky.received.mutations - mutationsBefore === 3, 'all three mutations arrived');
    office.release();
    const touches = (await Promise.all(answers)).map((answer) => (answer.data as { touch: number }).touch);
    expect(new Set(touches).size).toBe(3);
    expect(await lab.metric(SHARED)).toBe(sharedBefore);
  });
});

describe('SUBGRAPH_DEDUP=off', () => {
  let lab: FaultLab;
  let office: ReturnType<typeof holdOffice> | undefined;
  beforeAll(async () => {
    lab = await startFaultLab({ SUBGRAPH_DEDUP: 'off' });
  });
  afterAll(async () => {
    office?.release();
    await lab.stop();
  });

  it('sends every identical concurrent query on its own', async () => {
    const receivedBefore = lab.flaky.received.total;
    office = holdOffice(lab);
    const answers = Array.from({ length: 3 }, () => lab.query('{ flaky }'));
    await eventually(async () => lab.flaky.received.total - receivedBefore === 3, 'all three queries arrived');
    office.release();
    for (const answer of await Promise.all(answers)) expect(answer.data).toEqual({ flaky: 'fine' });
    expect(await lab.metric(SHARED)).toBe(0);
  });
});
