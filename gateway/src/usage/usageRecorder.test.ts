import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileUsageStore, HOUR_MS } from '@cip/schema/usage';
import { buildSchema, parse } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageRecorder, type UsageRecorderOptions } from './usageRecorder.js';

const schema = buildSchema(`
  type Query { partner(id: ID!, kind: Kind): Partner, search(filter: Filter): [Partner!]! }
  type Partner { id: ID!, name: String!, kind: Kind }
  enum Kind { COUNTRY ORGANIZATION }
  input Filter { region: String, kind: Kind }
`);
const logger = pino({ level: 'silent' });
const clientA = { name: 'client-a', version: '1.0.0' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'usage-recorder-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let files = 0;
function recorder(options: Partial<UsageRecorderOptions> = {}) {
  const store = new FileUsageStore(join(dir, `usage-${++files}.json`));
  const made = new UsageRecorder({
    store,
    sampleRate: 1,
    maxDocuments: 100,
    maxPendingCounts: 100,
    maxDocumentBytes: 10_000,
    retentionMs: 30 * 24 * HOUR_MS,
    logger,
    now: () => Date.parse('2026-12-01T12:00:00Z'),
    ...options,
  });
  return { recorder: made, store };
}

const request = (text: string, hash = text) => ({
  hash,
  text,
  document: parse(text),
  operationName: undefined,
  schema,
  client: clientA,
});

describe('the usage recorder', () => {
  it('records the coordinates a document uses, once per document, and adds up its requests', async () => {
    const { recorder: usage, store } = recorder();
    const text = 'query P { partner(id: "x", kind: COUNTRY) { name } search(filter: { region: "Europe" }) { id } }';
    for (let i = 0; i < 1_000; i++) usage.record(request(text));
    expect(usage.stats()).toEqual({ documents: 1, pendingCounts: 1, droppedCounts: 0 });
    await usage.flush();
    expect(usage.stats().pendingCounts).toBe(0);
    const snapshot = await store.read(0);
    expect(snapshot.counts).toEqual([
      expect.objectContaining({ clientName: 'client-a', clientVersion: '1.0.0', count: 1_000 }),
    ]);
    expect(snapshot.documents.get(text)).toMatchObject({ name: 'P', body: text });
    expect(snapshot.documents.get(text)?.coordinates).toEqual(
      expect.arrayContaining([
        'Query',
        'Query.partner',
        'Query.partner.id',
        'Query.partner.kind',
        'Kind.COUNTRY',
        'Partner',
        'Partner.name',
        'Filter.region',
      ]),
    );
  });

  it('stays within its caps under 100,000 distinct documents, and counts what it dropped', async () => {
    const { recorder: usage, store } = recorder({ maxDocuments: 500, maxPendingCounts: 2_000 });
    const document = parse('{ partner(id: "x") { name } }');
    let largest = { documents: 0, pendingCounts: 0 };
    for (let i = 0; i < 100_000; i++) {
      usage.record({ ...request('{ partner(id: "x") { name } }', `hash-${i}`), document });
      const { documents, pendingCounts } = usage.stats();
      largest = {
        documents: Math.max(largest.documents, documents),
        pendingCounts: Math.max(largest.pendingCounts, pendingCounts),
      };
    }
    expect(largest).toEqual({ documents: 500, pendingCounts: 2_000 });
    expect(usage.stats().droppedCounts).toBe(98_000);
    await usage.flush();
    expect((await store.read(0)).counts).toHaveLength(2_000);
    // Flushed often enough, nothing is dropped and memory still holds at most the caps.
    for (let i = 0; i < 10_000; i++) {
      usage.record({ ...request('{ partner(id: "x") { name } }', `more-${i}`), document });
      if (i % 1_000 === 999) await usage.flush();
    }
    expect(usage.stats()).toEqual({ documents: 500, pendingCounts: 0, droppedCounts: 98_000 });
  });

  it('keeps no text of a document longer than USAGE_MAX_DOCUMENT_BYTES, its coordinates still', async () => {
    const { recorder: usage, store } = recorder({ maxDocumentBytes: 10 });
    usage.record(request('{ partner(id: "x") { name } }'));
    await usage.flush();
    const [document] = (await store.read(0)).documents.values();
    expect(document).toMatchObject({ body: null, coordinates: expect.arrayContaining(['Partner.name']) });
  });

  it('samples: a request is recorded when the draw is under the rate, and stands for 1/rate requests', async () => {
    const draws = [0.1, 0.9, 0.3, 0.6];
    const { recorder: usage, store } = recorder({ sampleRate: 0.5, random: () => draws.shift() ?? 0 });
    for (let i = 0; i < 4; i++) usage.record(request('{ partner(id: "x") { id } }'));
    await usage.flush();
    expect((await store.read(0)).counts).toEqual([expect.objectContaining({ count: 4 })]);
  });

  it('keeps its counts for the next flush when the store cannot be written', async () => {
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, '');
    const usage = new UsageRecorder({
      store: new FileUsageStore(join(blocker, 'usage.json')),
      sampleRate: 1,
      maxDocuments: 10,
      maxPendingCounts: 10,
      maxDocumentBytes: 10_000,
      retentionMs: HOUR_MS,
      logger,
    });
    usage.record(request('{ partner(id: "x") { id } }'));
    await usage.flush();
    expect(usage.stats()).toMatchObject({ pendingCounts: 1 });
  });
});
