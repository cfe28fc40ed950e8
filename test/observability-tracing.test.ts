import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InMemorySpanExporter, registerTracing, type Tracing } from '@cip/gateway';
import { startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

describe('traces and request ids across offices', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let lab: FaultLab;
  beforeAll(async () => {
    tracing = registerTracing({ serviceName: 'cip-test', exporter })!;
    lab = await startFaultLab();
  });
  afterAll(async () => {
    await lab.stop();
    await tracing.shutdown();
  });

  it('links each subgraph span to the gateway fetch that caused it, in one trace', async () => {
    exporter.reset();
    const { data, errors } = await lab.query('{ items { name detail } }');
    expect(errors).toBeUndefined();
    expect(data!.items).toHaveLength(2);
    await vi.waitFor(() =>
      expect(exporter.getFinishedSpans().some((span) => span.name === 'POST /graphql')).toBe(true),
    );
    const spans = exporter.getFinishedSpans();
    const root = spans.find((span) => span.name === 'POST /graphql')!;
    expect(root.kind).toBe(SpanKind.SERVER);
    const traceId = root.spanContext().traceId;
    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: (typeof spans)[number]) => byId.get(span.parentSpanContext?.spanId ?? '');

    // @apollo/gateway's own spans for the phases of the operation sit under our request span.
    for (const phase of ['gateway.request', 'gateway.validate', 'gateway.plan', 'gateway.execute']) {
      const span = spans.find((candidate) => candidate.name === phase);
      expect(span, phase).toBeDefined();
      expect(span!.spanContext().traceId).toBe(traceId);
    }
    const fetches = spans.filter((span) => span.name === 'gateway.fetch');
    expect(fetches).toHaveLength(2);
    for (const subgraph of ['stable', 'flaky']) {
      const span = spans.find((candidate) => candidate.name === `subgraph ${subgraph}`);
      expect(span, subgraph).toBeDefined();
      expect(span!.spanContext().traceId).toBe(traceId);
      const parent = parentOf(span!);
      expect(parent?.name).toBe('gateway.fetch');
      expect(parent?.attributes.service).toBe(subgraph);
    }
  });

  it("continues a caller's traceparent", async () => {
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await lab.query('{ stable }', { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    await vi.waitFor(() =>
      expect(exporter.getFinishedSpans().some((span) => span.name === 'POST /graphql')).toBe(true),
    );
    const root = exporter.getFinishedSpans().find((span) => span.name === 'POST /graphql')!;
    expect(root.spanContext().traceId).toBe(traceId);
  });

  it('returns a request id, and sends the same id to the subgraphs', async () => {
    const generated = await lab.query('{ flaky }');
    const id = generated.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lab.flaky.lastHeaders['x-request-id']).toBe(id);

    const offered = await lab.query('{ flaky }', { 'x-request-id': 'caller-id-42' });
    expect(offered.headers.get('x-request-id')).toBe('caller-id-42');
    expect(lab.flaky.lastHeaders['x-request-id']).toBe('caller-id-42');

    // An id that could forge log lines is replaced.
    const forged = await lab.query('{ flaky }', { 'x-request-id': 'a b"}\\n{"level":60' });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
