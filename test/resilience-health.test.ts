import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';

describe('health and readiness of the real system', () => {
  let system: RunningSystem;
  let base: string;
  beforeAll(async () => {
    system = await startSystem();
    base = system.gatewayUrl.replace(/\/graphql$/, '');
  });
  afterAll(() => system.stop());

  it('the gateway is live, and ready with every office up and every breaker closed', async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      supergraph: 'loaded',
      subgraphs: Object.fromEntries(
        ['partners', 'agreements', 'sectors', 'threat-focus-areas'].map((name) => [
          name,
          { status: 'up', breaker: 'closed' },
        ]),
      ),
    });
  });

  it("each office's subgraph has /health, /ready with its store, and its own /metrics", async () => {
    await system.query('{ sector(id: "energy") { name } }');
    const sectors = system.subgraphUrls.sectors!.replace(/\/graphql$/, '');
    expect(await (await fetch(`${sectors}/health`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${sectors}/ready`)).json()).toEqual({ status: 'ready', store: 'ok' });
    const metrics = await (await fetch(`${sectors}/metrics`)).text();
    expect(metrics).toMatch(/cip_subgraph_requests_total\{operation="[^"]*",outcome="success",subgraph="sectors"\} 1/);
    expect(metrics).toMatch(/cip_subgraph_store_statements_total\{subgraph="sectors"\} [1-9]/);
  });

  it('an office that stops makes the gateway not ready, naming it', async () => {
    await system.subgraphs.find((subgraph) => subgraph.name === 'sectors')!.stop();
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { status: string; subgraphs: Record<string, { status: string }> };
    expect(body.status).toBe('not ready');
    expect(body.subgraphs.sectors).toMatchObject({ status: 'down', detail: 'unreachable' });
    expect(body.subgraphs.partners!.status).toBe('up');
  });
});
