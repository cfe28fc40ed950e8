import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { faults, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

/** A guard against hangs only: every faulty fetch must end well within this, whatever the fault. */
const HANG_GUARD_MS = 5_000;
/**
 * The flaky office's timeout: long enough that an answering office is never cut on a busy machine,
 * short enough that a timed-out attempt ends well inside HANG_GUARD_MS.
 */
const FLAKY_TIMEOUT_MS = 1_000;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}

describe('one office failing, the rest of the graph answering', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    // A breaker that does not open during these tests: each test looks at one fault alone.
    lab = await startFaultLab({
      SUBGRAPH_TIMEOUTS: `flaky=${FLAKY_TIMEOUT_MS}`,
      BREAKER_FAILURE_THRESHOLD: '1000',
    });
  });
  afterEach(() => {
    lab.flaky.fault = undefined;
  });
  afterAll(() => lab.stop());

  const expectPartial = async (code: string, message: RegExp) => {
    const before = lab.flaky.received.total;
    const { result, ms } = await timed(() => lab.query('{ stable flaky }'));
    expect(ms).toBeLessThan(HANG_GUARD_MS);
    expect(result.status).toBe(200);
    expect(result.data).toEqual({ stable: 'ok', flaky: null });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]).toMatchObject({ path: ['flaky'], extensions: { code, subgraph: 'flaky' } });
    expect(result.errors![0]!.message).toMatch(message);
    return lab.flaky.received.total - before;
  };

  /**
   * Counted by the gateway, not by the office: on a busy machine the attempt can run out of time
   * before the office has read the request, and then the office never counts it.
   */
  const expectOneTimedOutAttempt = async (message: RegExp) => {
    const series = (name: string) => lab.metric(`cip_gateway_subgraph_${name}_total{subgraph="flaky"}`);
    const [timeoutsBefore, retriesBefore] = [await series('timeouts'), await series('retries')];
    expect(await expectPartial('SUBGRAPH_TIMEOUT', message)).toBeLessThanOrEqual(1);
    expect(await series('timeouts')).toBe(timeoutsBefore + 1);
    // Timed-out attempts are not retried.
    expect(await series('retries')).toBe(retriesBefore);
  };

  it('a healthy graph answers both offices', async () => {
    const { data, errors } = await lab.query('{ stable flaky }');
    expect(errors).toBeUndefined();
    expect(data).toEqual({ stable: 'ok', flaky: 'fine' });
  });

  it('a subgraph that sleeps past its timeout costs its fields only, with SUBGRAPH_TIMEOUT', async () => {
    lab.flaky.fault = faults.sleep(3 * FLAKY_TIMEOUT_MS);
    await expectOneTimedOutAttempt(new RegExp(`flaky subgraph did not answer within ${FLAKY_TIMEOUT_MS} ms`));
  });

  it('a hung socket (request read, never answered) times out', async () => {
    lab.flaky.fault = faults.hang();
    await expectOneTimedOutAttempt(/did not answer/);
  });

  it('HTTP 500 is a bad response, not retried', async () => {
    lab.flaky.fault = faults.status(500);
    expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', /answered HTTP 500/)).toBe(1);
  });

  it('503 with Retry-After: 0 is retried, and the retry answers', async () => {
    lab.flaky.fault = faults.times(1, faults.status(503, { 'retry-after': '0' }));
    const before = lab.flaky.received.total;
    const { data, errors } = await lab.query('{ stable flaky }');
    expect(errors).toBeUndefined();
    expect(data).toEqual({ stable: 'ok', flaky: 'fine' });
    expect(lab.flaky.received.total - before).toBe(2);
  });

  it('503 with a Retry-After longer than the gateway waits is not retried', async () => {
    lab.flaky.fault = faults.status(503, { 'retry-after': '120' });
    expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', /answered HTTP 503/)).toBe(1);
    expect(
      await lab.metric('cip_gateway_subgraph_retries_refused_total{subgraph="flaky",reason="retry_after_too_long"}'),
    ).toBe(1);
  });

  it('502, 504 and 429 are retried up to the limit (2 retries), then reported', async () => {
    for (const status of [502, 504, 429]) {
      lab.flaky.fault = faults.status(status);
      expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', new RegExp(`answered HTTP ${status}`))).toBe(3);
    }
  });

  it('an HTML page, or JSON that is not a GraphQL response, is a clean SUBGRAPH_BAD_RESPONSE', async () => {
    lab.flaky.fault = faults.html();
    expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', /not a GraphQL response/)).toBe(1);
    lab.flaky.fault = faults.notGraphql();
    expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', /not a GraphQL response/)).toBe(1);
  });

  it('a truncated body is a clean SUBGRAPH_BAD_RESPONSE, not retried', async () => {
    lab.flaky.fault = faults.truncated();
    expect(await expectPartial('SUBGRAPH_BAD_RESPONSE', /not a GraphQL response/)).toBe(1);
  });

  it('a failed entity fetch names the path of each entity field it cost', async () => {
    lab.flaky.fault = faults.status(500);
    const { data, errors } = await lab.query('{ items { name detail } }');
    expect(data).toEqual({
      items: [
        { name: 'one', detail: null },
        { name: 'two', detail: null },
      ],
    });
    expect(errors!.map((error) => [error.path, error.extensions!.code, error.extensions!.subgraph])).toEqual([
      [['items', 0, 'detail'], 'SUBGRAPH_BAD_RESPONSE', 'flaky'],
      [['items', 1, 'detail'], 'SUBGRAPH_BAD_RESPONSE', 'flaky'],
    ]);
  });

  it('a mutation is never retried, even on 503 with Retry-After: 0', async () => {
    lab.flaky.fault = faults.status(503, { 'retry-after': '0' });
    const before = lab.flaky.received.mutations;
    const { errors } = await lab.query('mutation { touch }');
    expect(errors![0]).toMatchObject({
      path: ['touch'],
      extensions: { code: 'SUBGRAPH_BAD_RESPONSE', subgraph: 'flaky' },
    });
    expect(lab.flaky.received.mutations - before).toBe(1);
  });

  it('a killed subgraph is SUBGRAPH_UNREACHABLE after its retries; back when it restarts', async () => {
    await lab.flaky.kill();
    const { result, ms } = await timed(() => lab.query('{ stable flaky }'));
    expect(ms).toBeLessThan(HANG_GUARD_MS);
    expect(result.data).toEqual({ stable: 'ok', flaky: null });
    expect(result.errors![0]).toMatchObject({
      message: 'The flaky subgraph could not be reached.',
      path: ['flaky'],
      extensions: { code: 'SUBGRAPH_UNREACHABLE', subgraph: 'flaky' },
    });
    await lab.flaky.restart();
    const { data, errors } = await lab.query('{ stable flaky }');
    expect(errors).toBeUndefined();
    expect(data).toEqual({ stable: 'ok', flaky: 'fine' });
  });
});

describe('the request deadline', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ REQUEST_DEADLINE_MS: '1500' });
  });
  afterAll(() => lab.stop());

  it("cuts a subgraph's attempt to what is left of the request's time", async () => {
    lab.flaky.fault = faults.sleep(8_000);
    const { result, ms } = await timed(() => lab.query('{ stable flaky }'));
    expect(ms).toBeLessThan(HANG_GUARD_MS);
    expect(result.data).toEqual({ stable: 'ok', flaky: null });
    expect(result.errors![0]).toMatchObject({
      path: ['flaky'],
      extensions: { code: 'SUBGRAPH_TIMEOUT', subgraph: 'flaky' },
    });
    expect(result.errors![0]!.message).toMatch(/before the request's deadline/);
  });
});

describe('the circuit breaker', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    // A cool-down long enough that the fail-fast check below runs inside it even on a loaded machine.
    lab = await startFaultLab({ BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOL_DOWN_MS: '2000' });
  });
  afterAll(() => lab.stop());

  it('opens after a run of failures, fails fast, then closes after a good probe', async () => {
    const breaker = 'cip_gateway_subgraph_breaker_state{subgraph="flaky"}';
    lab.flaky.fault = faults.status(500);
    for (let i = 0; i < 3; i += 1) {
      const { errors } = await lab.query('{ flaky }');
      expect(errors![0]!.extensions!.code).toBe('SUBGRAPH_BAD_RESPONSE');
    }
    expect(await lab.metric(breaker)).toBe(1);
    const before = lab.flaky.received.total;
    const { data, errors } = await lab.query('{ stable flaky }');
    expect(data).toEqual({ stable: 'ok', flaky: null });
    expect(errors![0]).toMatchObject({
      path: ['flaky'],
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', subgraph: 'flaky' },
    });
    expect(lab.flaky.received.total).toBe(before);

    const ready = await fetch(`${lab.baseUrl}/ready`);
    expect(await ready.json()).toMatchObject({ subgraphs: { flaky: { breaker: 'open' } } });

    // The office recovers; after the cool-down one probe goes through and closes the breaker.
    lab.flaky.fault = undefined;
    await vi.waitFor(
      async () => {
        const answer = await lab.query('{ flaky }');
        expect(answer.errors).toBeUndefined();
      },
      { timeout: 3 * HANG_GUARD_MS, interval: 100 },
    );
    expect(await lab.metric(breaker)).toBe(0);
    expect(await lab.metric('cip_gateway_subgraph_breaker_transitions_total{subgraph="flaky",to="open"}')).toBe(1);
    expect(await lab.metric('cip_gateway_subgraph_breaker_transitions_total{subgraph="flaky",to="half_open"}')).toBe(1);
    expect(await lab.metric('cip_gateway_subgraph_breaker_transitions_total{subgraph="flaky",to="closed"}')).toBe(1);
  });
});

describe('the retry budget', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({
      SUBGRAPH_RETRY_BUDGET_MAX: '2',
      SUBGRAPH_RETRY_BUDGET_RATIO: '0',
      BREAKER_FAILURE_THRESHOLD: '1000',
    });
  });
  afterAll(() => lab.stop());

  it('stops retries from multiplying load during an outage', async () => {
    lab.flaky.fault = faults.status(503);
    const before = lab.flaky.received.total;
    for (let i = 0; i < 3; i += 1) {
      const { errors } = await lab.query('{ flaky }');
      expect(errors![0]!.extensions!.code).toBe('SUBGRAPH_BAD_RESPONSE');
    }
    // 3 requests, 2 retries in the budget: 5 attempts, not 9.
    expect(lab.flaky.received.total - before).toBe(5);
    expect(await lab.metric('cip_gateway_subgraph_retries_total{subgraph="flaky"}')).toBe(2);
    expect(await lab.metric('cip_gateway_subgraph_retries_refused_total{subgraph="flaky",reason="budget"}')).toBe(2);
  });
});
