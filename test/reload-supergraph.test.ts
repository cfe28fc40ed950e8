import { rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { listen } from '@cip/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { STABLE_SDL, startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

/** Keeps `concurrency` requests in flight until stopped; collects any that did not answer cleanly. */
function loadUntilStopped(lab: FaultLab, concurrency: number) {
  let running = true;
  let answered = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (running) {
      const { status, data, errors } = await lab.query('{ stable items { name detail } }').catch((error: unknown) => {
        return { status: 0, data: undefined, errors: [{ message: String(error) }] };
      });
      if (status !== 200 || errors || data?.stable !== 'ok') failures.push({ status, errors });
      answered += 1;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    get answered() {
      return answered;
    },
    failures,
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Replaces the file atomically (write beside, rename over), as a deploy should. */
async function replaceFile(path: string, content: string): Promise<void> {
  await writeFile(`${path}.next`, content);
  await rename(`${path}.next`, path);
}

const describedStable = STABLE_SDL.replace('type Query { stable: String!', 'type Query { "Reloaded." stable: String!');

async function stableDescription(lab: FaultLab): Promise<string | null> {
  const { data } = await lab.query('{ __type(name: "Query") { fields { name description } } }');
  const fields = data!.__type.fields as { name: string; description: string | null }[];
  return fields.find((field) => field.name === 'stable')!.description;
}

describe('supergraph hot reload under load', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ SUPERGRAPH_WATCH: 'true', SUPERGRAPH_POLL_MS: '50' });
  });
  afterAll(() => lab.stop());

  it('applies a valid supergraph, refuses an invalid one, and no request fails because of either', async () => {
    const load = loadUntilStopped(lab, 8);
    try {
      expect(await stableDescription(lab)).toBeNull();
      await replaceFile(lab.supergraphPath, lab.composeSupergraph(describedStable));
      await vi.waitFor(async () => expect(await stableDescription(lab)).toBe('Reloaded.'), { timeout: 30_000 });
      expect(await lab.metric('cip_gateway_supergraph_reloads_total{outcome="applied"}')).toBe(1);
      expect(await lab.metric('cip_gateway_supergraph_last_reload_ok')).toBe(1);

      await replaceFile(lab.supergraphPath, 'schema { query: Query } this is not a supergraph');
      await vi.waitFor(async () => expect(await lab.metric('cip_gateway_supergraph_last_reload_ok')).toBe(0), {
        timeout: 30_000,
      });
      expect(await lab.metric('cip_gateway_supergraph_reloads_total{outcome="refused"}')).toBe(1);
      // The last good supergraph keeps serving.
      expect(await stableDescription(lab)).toBe('Reloaded.');

      await replaceFile(lab.supergraphPath, lab.composeSupergraph());
      await vi.waitFor(async () => expect(await stableDescription(lab)).toBeNull(), { timeout: 30_000 });
      expect(await lab.metric('cip_gateway_supergraph_last_reload_ok')).toBe(1);
    } finally {
      await load.stop();
    }
    expect(load.answered).toBeGreaterThan(0);
    expect(load.failures).toEqual([]);
  });
});

describe('supergraph hot reload that drops a subgraph', () => {
  let lab: FaultLab;
  beforeAll(async () => {
    lab = await startFaultLab({ SUPERGRAPH_WATCH: 'true', SUPERGRAPH_POLL_MS: '50' });
  });
  afterAll(() => lab.stop());

  it('stops probing the dropped subgraph, so /ready reads ready again', async () => {
    const ready = async () => {
      const response = await fetch(`${lab.baseUrl}/ready`);
      const body = (await response.json()) as { subgraphs: Record<string, unknown> };
      return { httpStatus: response.status, subgraphs: body.subgraphs };
    };
    await lab.query('{ stable flaky }');
    expect(Object.keys((await ready()).subgraphs).sort()).toEqual(['flaky', 'stable']);
    // The office retires its subgraph: first it goes down, then a supergraph without it is published.
    await lab.flaky.kill();
    expect((await ready()).httpStatus).toBe(503);
    await replaceFile(lab.supergraphPath, lab.composeSupergraph(undefined, { withoutFlaky: true }));
    await vi.waitFor(async () => expect(await ready()).toMatchObject({ httpStatus: 200, subgraphs: { stable: {} } }), {
      timeout: 30_000,
    });
    expect(Object.keys((await ready()).subgraphs)).toEqual(['stable']);
    expect((await lab.query('{ stable }')).data).toEqual({ stable: 'ok' });
  });
});

describe('supergraph hot reload from a URL', () => {
  let lab: FaultLab;
  let published: string;
  let close: () => Promise<unknown>;
  beforeAll(async () => {
    // A stand-in for wherever a deploy publishes the supergraph: serves whatever `published` holds.
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(published));
    const base = await listen(server, '127.0.0.1', 0);
    close = () => new Promise((resolve) => server.close(resolve));
    const bootstrap = await startFaultLab();
    published = bootstrap.composeSupergraph();
    await bootstrap.stop();
    lab = await startFaultLab({
      SUPERGRAPH_WATCH: 'true',
      SUPERGRAPH_POLL_MS: '50',
      SUPERGRAPH_URL: `${base}/supergraph.graphql`,
    });
    // The lab's subgraphs are new: publish their supergraph (routing URLs) before testing.
    published = lab.composeSupergraph();
    await vi.waitFor(async () => expect((await lab.query('{ stable }')).data).toEqual({ stable: 'ok' }), {
      timeout: 30_000,
    });
  });
  afterAll(async () => {
    await lab.stop();
    await close();
  });

  it('polls the URL, applies a new supergraph and refuses a broken one', async () => {
    published = lab.composeSupergraph(describedStable);
    await vi.waitFor(async () => expect(await stableDescription(lab)).toBe('Reloaded.'), { timeout: 30_000 });
    published = 'not a supergraph';
    await vi.waitFor(async () => expect(await lab.metric('cip_gateway_supergraph_last_reload_ok')).toBe(0), {
      timeout: 30_000,
    });
    expect(await stableDescription(lab)).toBe('Reloaded.');
  });
});
