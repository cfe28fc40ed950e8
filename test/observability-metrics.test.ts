import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faults, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

describe('/metrics after a known sequence of requests', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ BREAKER_FAILURE_THRESHOLD: '1000' });
    lab.flaky.fault = undefined;
    for (let i = 0; i < 3; i += 1) await lab.query('query Both { stable flaky }');
    lab.flaky.fault = faults.status(500);
    await lab.query('query Both { stable flaky }');
    lab.flaky.fault = faults.status(503);
    await lab.query('query OnlyFlaky { flaky }');
    lab.flaky.fault = undefined;
  });
  afterAll(() => lab.stop());

  it('counts requests by operation and outcome, with their latency', async () => {
    expect(await lab.metric('cip_gateway_requests_total{operation="Both",outcome="success"}')).toBe(3);
    expect(await lab.metric('cip_gateway_requests_total{operation="Both",outcome="partial"}')).toBe(1);
    expect(await lab.metric('cip_gateway_requests_total{operation="OnlyFlaky",outcome="partial"}')).toBe(1);
    expect(await lab.metric('cip_gateway_request_duration_seconds_count{operation="Both"}')).toBe(4);
    expect(await lab.metric('cip_gateway_requests_in_flight')).toBe(0);
  });

  it('counts subgraph fetches, errors and retries per subgraph', async () => {
    expect(await lab.metric('cip_gateway_subgraph_fetch_duration_seconds_count{subgraph="stable",outcome="ok"}')).toBe(
      4,
    );
    expect(await lab.metric('cip_gateway_subgraph_fetch_duration_seconds_count{subgraph="flaky",outcome="ok"}')).toBe(
      3,
    );
    // One 500 (not retried) and a 503 tried three times.
    expect(
      await lab.metric('cip_gateway_subgraph_fetch_duration_seconds_count{subgraph="flaky",outcome="http_error"}'),
    ).toBe(4);
    expect(await lab.metric('cip_gateway_subgraph_errors_total{subgraph="flaky",code="SUBGRAPH_BAD_RESPONSE"}')).toBe(
      2,
    );
    expect(await lab.metric('cip_gateway_subgraph_retries_total{subgraph="flaky"}')).toBe(2);
    expect(await lab.metric('cip_gateway_subgraph_timeouts_total{subgraph="flaky"}')).toBe(0);
    expect(await lab.metric('cip_gateway_subgraph_breaker_state{subgraph="flaky"}')).toBe(0);
  });

  it('counts query plan cache hits and misses', async () => {
    // Both: planned once, then found 3 times; OnlyFlaky: planned once.
    expect(await lab.metric('cip_gateway_query_plan_cache_total{result="miss"}')).toBe(2);
    expect(await lab.metric('cip_gateway_query_plan_cache_total{result="hit"}')).toBe(3);
  });

  it('is the Prometheus text format, with process metrics', async () => {
    const response = await fetch(`${lab.baseUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain('# TYPE cip_gateway_requests_total counter');
    expect(text).toContain('cip_gateway_process_resident_memory_bytes');
  });
});
