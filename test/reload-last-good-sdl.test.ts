import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubgraphDataSource, createSubgraphClient, supergraphFromRunningSubgraphs } from '@cip/gateway';
import { startFaultLab, type FaultLab } from '@cip/testing/fault-lab';

describe('composing from the running subgraphs (development) when one is down', () => {
  let lab: FaultLab;
  let cacheDir: string;
  const client = createSubgraphClient({ connections: 4, keepAliveMs: 1_000 });
  beforeAll(async () => {
    lab = await startFaultLab();
    cacheDir = await mkdtemp(join(tmpdir(), 'cip-sdl-cache-'));
  });
  afterAll(async () => {
    await client.close();
    await lab.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  const composeOnce = async (hook: SupergraphSdlHook) => {
    const result = await hook({
      update: () => undefined,
      healthCheck: async () => undefined,
      getDataSource: ({ name, url }) => new SubgraphDataSource(name, { url: url ?? '', fetcher: client.fetcher }),
    });
    return result.supergraphSdl;
  };
  const hook = () =>
    supergraphFromRunningSubgraphs(
      {},
      {
        cacheDir,
        subgraphs: [
          { name: 'stable', routingUrl: lab.stable.url, schemaPath: 'stable.graphql' },
          { name: 'flaky', routingUrl: lab.flaky.url, schemaPath: 'flaky.graphql' },
        ],
      },
    );

  it('a subgraph down with no last good SDL fails the composition, naming it', async () => {
    await lab.flaky.kill();
    await expect(composeOnce(hook())).rejects.toThrow(/Subgraph flaky at .* is down and no last good SDL is kept/);
    await lab.flaky.restart();
  });

  it('keeps each SDL it fetched, and composes a subgraph that is down from its last good SDL', async () => {
    const live = await composeOnce(hook());
    expect(live).toContain('touch: Int!');
    expect((await readdir(cacheDir)).sort()).toEqual(['flaky.graphql', 'stable.graphql']);

    await lab.flaky.kill();
    const fromCache = await composeOnce(hook());
    expect(fromCache).toBe(live);
    await lab.flaky.restart();
  });
});
