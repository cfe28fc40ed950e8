import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

const MEMORY = 'memory://';

/**
 * Opens a PGlite instance. `memory://` (the embedded default) starts from a cached, freshly
 * initialised cluster: initdb is most of a cold start (~3 s), so it is done once per machine and
 * PGlite version, and every later instance loads the snapshot (~0.5 s). The snapshot holds an
 * empty cluster only; migrations and seed data still run on every start.
 */
export async function openPglite(dataDir: string = MEMORY): Promise<PGlite> {
  if (dataDir !== MEMORY) return PGlite.create({ dataDir });
  const snapshotPath = await emptyClusterSnapshotPath();
  const snapshot = await readFile(snapshotPath).catch(() => undefined);
  if (snapshot) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([snapshot]) });
    } catch {
      // A truncated or foreign snapshot: fall through and make a fresh one.
    }
  }
  const pglite = await PGlite.create();
  const dump = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
  const partial = `${snapshotPath}.${process.pid}.tmp`;
  await writeFile(partial, dump);
  await rename(partial, snapshotPath); // atomic: a concurrent reader sees all of it or none
  return pglite;
}

async function emptyClusterSnapshotPath(): Promise<string> {
  // The package does not export its package.json; find it beside its entry point.
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const { version } = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const directory = join(tmpdir(), 'cip-pglite');
  await mkdir(directory, { recursive: true });
  return join(directory, `empty-cluster-${version}.tar.gz`);
}
