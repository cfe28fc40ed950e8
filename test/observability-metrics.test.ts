import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faults, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

/** The lab's operations, registered as trusted documents: the only names the `operation` label takes. */
const TRUSTED = ['query Both { stable flaky }', 'query OnlyFlaky { flaky }'];

let manifestDir: string;
/** The environment of a lab whose trusted-document manifest holds TRUSTED. */
async function withTrustedOperations(env: Record<string, string> = {}): Promise<Record<string, string>> {
  manifestDir = await mkdtemp(join(tmpdir(), 'cip-metrics-'));
  const path = join(manifestDir, 'trusted-documents.json');
  const operations = TRUSTED.map((body) => ({
    id: createHash('sha256').update(body).digest('hex'),
    name: /query (\w+)/.exec(body)?.[1],
    type: 'query',
    body,
  }));
  await writeFile(path, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
  return { TRUSTED_DOCUMENTS: 'allow', TRUSTED_DOCUMENTS_PATH: path, ...env };
}
afterAll(() => rm(manifestDir, { recursive: true, force: true }));

/** The distinct values of `label` over the series of `metric` in the gateway's /metrics. */
async function labelValues(lab: FaultLab, metric: string, label: string): Promise<Set<string>> {
  const text = await (await fetch(`${lab.baseUrl}/metrics`)).text();
  const values = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const value = new RegExp(`[{,]${label}="([^"]*)"`).exec(line)?.[1];
    if (value !== undefined) values.add(value);
  }
  return values;
}

describe('/metrics after a known sequence of requests', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab(await withTrustedOperations({ BREAKER_FAILURE_THRESHOLD: '1000' }));
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

// Regression (issue 13, item 10): every operation name a client invented became label values, up to
// 200 of them, which also took the labels before the real operations were counted. 10,000 names go
// through the plugin in its unit test (gateway/src/observability/metrics.test.ts); here 1,000 go
// through the whole gateway, from the manifest it reads to /metrics.
describe('the operation label, whatever names clients send', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab(await withTrustedOperations({ LIMIT_MAX_BATCH: '500' }));
  });
  afterAll(() => lab.stop());

  const sendBatch = async (operations: { query: string; operationName?: string }[]) => {
    const response = await fetch(lab.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(operations),
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('is a trusted operation name or other: 1,000 random names add the one series other', async () => {
    await lab.query(TRUSTED[1]!);
    const names = Array.from({ length: 1_000 }, (_, i) => `R${i}_${randomBytes(4).toString('hex')}`);
    // Named in the document, and sent as an operationName the document does not have.
    expect(await sendBatch(names.slice(0, 500).map((name) => ({ query: `query ${name} { __typename }` })))).toBe(200);
    // BAD_REQUEST each: the document has no operation of that name.
    expect(await sendBatch(names.slice(500).map((operationName) => ({ query: '{ __typename }', operationName })))).toBe(
      400,
    );
    for (const metric of ['cip_gateway_requests_total', 'cip_gateway_request_duration_seconds_count'])
      expect(await labelValues(lab, metric, 'operation')).toEqual(new Set(['OnlyFlaky', 'other']));
    expect(await lab.metric('cip_gateway_requests_total{operation="other",outcome="success"}')).toBe(500);
    expect(await lab.metric('cip_gateway_requests_total{operation="other",outcome="error"}')).toBe(500);
    expect(await lab.metric('cip_gateway_requests_total{operation="OnlyFlaky",outcome="success"}')).toBe(1);
  });
});
