import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PartnerFeed, type PartnerFeedOptions } from './feed.js';
import { parseRetryAfter } from './http.js';

// The partner's server is the one thing these tests do not run for real: every request is
// answered by a named nock mock on a `.invalid` host, and anything else is refused.
const FEED_HOST = 'https://reports.partner.invalid';

const report = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  partnerId: z.string(),
  title: z.string().min(1),
});
type Report = z.infer<typeof report>;

const canada = { id: 'r-1', partnerId: 'canada', title: 'Cross-border energy grid' };
const mexico = { id: 'r-2', partnerId: 'mexico', title: 'Border crossings' };
const uk = { id: 'r-3', partnerId: 'united-kingdom', title: 'Channel tunnel' };

let clock = 1_000_000;
let waits: number[] = [];

function buildFeed(options: Partial<PartnerFeedOptions<Report>> = {}) {
  return new PartnerFeed<Report>({
    name: 'partner-reports',
    url: `${FEED_HOST}/reports`,
    record: report,
    ttlMs: 60_000,
    now: () => clock,
    fetchPolicy: {
      timeoutMs: 200,
      retries: 2,
      backoffMs: 10,
      // Waits are recorded, not slept: the tests assert what the kit asked for, never how long it took.
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
    ...options,
  });
}

const feedServer = () => nock(FEED_HOST);
const servesReports = (records: unknown, headers: Record<string, string> = {}) =>
  feedServer()
    .get('/reports')
    .reply(200, records as nock.Body, headers);

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
beforeEach(() => {
  nock.cleanAll();
  clock = 1_000_000;
  waits = [];
});
afterEach(() => {
  const pending = nock.pendingMocks();
  nock.cleanAll();
  expect(pending).toEqual([]);
});

describe('PartnerFeed', () => {
  it('fetches, validates and serves the records, by id through one batch', async () => {
    servesReports([canada, mexico]);
    const feed = buildFeed();
    const { byId } = feed.loaders();
    const found = await Promise.all(['r-2', 'nope', 'r-1'].map((id) => byId.load(id)));
    expect(found).toEqual([mexico, null, canada]);
    expect(feed.status()).toMatchObject({ state: 'fresh', ready: true, records: 2, quarantine: { count: 0 } });
  });

  it('serves from its cache within the TTL and asks conditionally after it; a 304 keeps the copy', async () => {
    servesReports([canada], { ETag: '"v1"', 'Last-Modified': 'Tue, 24 Nov 2026 10:00:00 GMT' });
    const feed = buildFeed();
    await feed.load();
    clock += 30_000;
    expect((await feed.load()).records).toEqual([canada]);
    clock += 31_000;
    feedServer()
      .get('/reports')
      .matchHeader('if-none-match', '"v1"')
      .matchHeader('if-modified-since', 'Tue, 24 Nov 2026 10:00:00 GMT')
      .reply(304);
    const snapshot = await feed.load();
    expect(snapshot).toMatchObject({ records: [canada], stale: false, fetchedAt: clock });
    const metrics = await feed.registry.getSingleMetricAsString('feed_refreshes_total');
    expect(metrics).toContain('feed_refreshes_total{feed="partner-reports",outcome="not_modified"} 1');
  });

  it('retries a 500 with backoff and then serves the answer', async () => {
    feedServer().get('/reports').reply(500, 'upstream broke');
    servesReports([canada]);
    const feed = buildFeed();
    expect((await feed.load()).records).toEqual([canada]);
    expect(waits).toHaveLength(1);
  });

  it('honours Retry-After on a 429', async () => {
    feedServer().get('/reports').reply(429, 'slow down', { 'Retry-After': '7' });
    servesReports([canada]);
    const feed = buildFeed({ fetchPolicy: { sleep: async (ms) => void waits.push(ms), maxRetryAfterMs: 10_000 } });
    expect((await feed.load()).records).toEqual([canada]);
    expect(waits).toEqual([7_000]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 00:00:10 GMT', Date.parse('Wed, 25 Nov 2026 00:00:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('gives up on a feed that does not answer in time, and says so', async () => {
    for (let attempt = 0; attempt < 3; attempt++) feedServer().get('/reports').delay(2_000).reply(200, [canada]);
    const feed = buildFeed();
    await expect(feed.load()).rejects.toMatchObject({ extensions: { code: 'FEED_UNAVAILABLE' } });
    expect(feed.status()).toMatchObject({ state: 'unavailable', ready: false });
    expect(feed.status().lastError).toContain('no answer within 200 ms after 3 attempts');
  });

  it('serves the last good copy, marked stale, when the feed is down, and recovers', async () => {
    servesReports([canada, mexico]);
    const feed = buildFeed();
    await feed.load();
    clock += 61_000;
    feedServer().get('/reports').times(3).reply(503);
    const stale = await feed.load();
    expect(stale).toMatchObject({ records: [canada, mexico], stale: true });
    expect(stale.lastError).toContain('HTTP 503');
    expect(feed.status()).toMatchObject({ state: 'stale', ready: true, records: 2 });
    // A client can tell too: which copy, and since when the partner could not be asked.
    const downAt = new Date(clock).toISOString();
    const freshness = { stale: true, asOf: new Date(clock - 61_000).toISOString(), staleSince: downAt };
    expect(await feed.freshness()).toEqual(freshness);
    expect(await feed.registry.getSingleMetricAsString('feed_stale')).toContain('feed_stale{feed="partner-reports"} 1');
    // Right after a failure the partner is left alone: no request (nock would refuse it).
    clock += 1_000;
    expect((await feed.load()).stale).toBe(true);
    expect(await feed.freshness()).toEqual(freshness);
    // It is asked again after `retryFailedAfterMs` (5 s), not a whole TTL.
    clock += 4_000;
    servesReports([canada]);
    expect(await feed.load()).toMatchObject({ records: [canada], stale: false, lastError: null });
    expect(await feed.freshness()).toEqual({ stale: false, asOf: new Date(clock).toISOString(), staleSince: null });
  });

  it('treats malformed JSON as a failed refresh: the good copy stays', async () => {
    servesReports([canada]);
    const feed = buildFeed();
    await feed.load();
    clock += 61_000;
    feedServer().get('/reports').reply(200, '[{"id": "r-1", "partnerId": ', { 'Content-Type': 'application/json' });
    const snapshot = await feed.load();
    expect(snapshot).toMatchObject({ records: [canada], stale: true });
    expect(snapshot.lastError).toContain('is not valid JSON');
  });

  it('quarantines bad records with their ids and reasons, and serves the good ones', async () => {
    servesReports([
      canada,
      { id: 'r-9', partnerId: 'france' },
      { partnerId: 'italy', title: 7 },
      mexico,
      { ...canada },
    ]);
    const feed = buildFeed();
    const snapshot = await feed.load();
    expect(snapshot.records).toEqual([canada, mexico]);
    const status = feed.status();
    expect(status.quarantine.count).toBe(3);
    expect(status.quarantine.ids).toEqual(['r-9', null, 'r-1']);
    expect(status.quarantine.records[0]?.reasons).toEqual([expect.stringMatching(/^title: /)]);
    expect(status.quarantine.records[1]?.reasons).toEqual([
      expect.stringMatching(/^id: /),
      expect.stringMatching(/^title: /),
    ]);
    expect(status.quarantine.records[2]?.reasons).toEqual(['id: r-1 appears more than once']);
    expect(await feed.registry.getSingleMetricAsString('feed_quarantined_records')).toContain(
      'feed_quarantined_records{feed="partner-reports"} 3',
    );
  });

  it('never replaces good data with nothing: all-invalid or empty answers keep the last copy', async () => {
    servesReports([canada]);
    const feed = buildFeed();
    await feed.load();
    clock += 61_000;
    servesReports([{ id: 'BAD ID' }]);
    expect(await feed.load()).toMatchObject({ records: [canada], stale: true });
    clock += 61_000;
    servesReports([]);
    const snapshot = await feed.load();
    expect(snapshot).toMatchObject({ records: [canada], stale: true });
    expect(snapshot.lastError).toContain('no records');
  });

  it('follows a paged feed page by page', async () => {
    feedServer()
      .get('/reports')
      .reply(200, { records: [canada], next: '/reports?page=2' });
    feedServer()
      .get('/reports')
      .query({ page: '2' })
      .reply(200, { items: [mexico], next: `${FEED_HOST}/reports?page=3` });
    feedServer()
      .get('/reports')
      .query({ page: '3' })
      .reply(200, { data: [uk], next: null });
    const feed = buildFeed();
    expect((await feed.load()).records).toEqual([canada, mexico, uk]);
  });

  it('stops a feed that never ends at its page bound, and one that loops at once', async () => {
    for (let page = 1; page <= 5; page++) {
      feedServer()
        .get('/reports')
        .query(page === 1 ? {} : { page: String(page) })
        .reply(200, { records: [{ ...canada, id: `r-${page}` }], next: `/reports?page=${page + 1}` });
    }
    const endless = buildFeed({ maxPages: 5 });
    await expect(endless.load()).rejects.toMatchObject({ extensions: { code: 'FEED_UNAVAILABLE' } });
    expect(endless.status().lastError).toBe('the feed has more than 5 pages');

    feedServer()
      .get('/reports')
      .reply(200, { records: [canada], next: '/reports' });
    const looping = buildFeed();
    await expect(looping.load()).rejects.toMatchObject({ extensions: { code: 'FEED_UNAVAILABLE' } });
    expect(looping.status().lastError).toContain('comes round again');
  });

  it('does not retry a 404: retrying cannot fix it', async () => {
    feedServer().get('/reports').reply(404);
    const feed = buildFeed();
    await expect(feed.load()).rejects.toMatchObject({ extensions: { code: 'FEED_UNAVAILABLE' } });
    expect(waits).toEqual([]);
  });

  it('answers concurrent requests with one refresh', async () => {
    servesReports([canada]);
    const feed = buildFeed();
    const [a, b] = await Promise.all([feed.loaders().all(), feed.loaders().all()]);
    expect(a).toBe(b);
  });
});
