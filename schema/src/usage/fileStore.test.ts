import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileUsageStore } from './fileStore.js';
import { HOUR_MS, type UsageBatch } from './usage.js';

const document = {
  hash: 'h1',
  name: 'PartnerName',
  body: '{ partner(id: "x") { name } }',
  coordinates: ['Partner.name'],
};
const batch = (count: number, hour = 10 * HOUR_MS): UsageBatch => ({
  documents: [document],
  counts: [{ hash: 'h1', clientName: 'app', clientVersion: '1', hour, count, lastSeen: hour + 60_000 }],
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'usage-file-store-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the usage file', () => {
  it('adds up what two gateways write at the same time, under its lock', async () => {
    const path = join(dir, 'shared.json');
    const one = new FileUsageStore(path);
    const other = new FileUsageStore(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? one : other).write(batch(1))));
    const { counts, documents } = await one.read(0);
    expect(counts).toEqual([expect.objectContaining({ count: 20 })]);
    expect([...documents.keys()]).toEqual(['h1']);
  });

  it('takes over a lock left by a process that died holding it', async () => {
    const path = join(dir, 'stale.json');
    await writeFile(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    await new FileUsageStore(path).write(batch(2));
    expect((await new FileUsageStore(path).read(0)).counts).toEqual([expect.objectContaining({ count: 2 })]);
  });

  it('reads the window, and prunes use older than the retention with the documents only it named', async () => {
    const path = join(dir, 'window.json');
    const store = new FileUsageStore(path);
    await store.write(batch(1, 10 * HOUR_MS));
    await store.write({
      documents: [{ ...document, hash: 'h2' }],
      counts: [{ ...batch(5, 20 * HOUR_MS).counts[0]!, hash: 'h2' }],
    });
    expect((await store.read(15 * HOUR_MS)).counts.map((count) => count.hash)).toEqual(['h2']);
    expect((await store.read(0, 15 * HOUR_MS)).counts.map((count) => count.hash)).toEqual(['h1']);
    await store.prune(15 * HOUR_MS);
    const left = await store.read(0);
    expect(left.counts.map((count) => count.hash)).toEqual(['h2']);
    expect([...left.documents.keys()]).toEqual(['h2']);
  });
});
