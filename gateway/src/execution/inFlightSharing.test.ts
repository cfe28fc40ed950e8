import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { describe, expect, it } from 'vitest';
import { withFetchScope, type FetchScope } from '../resilience/guardedFetch.js';
import { SubgraphTimeoutError } from '../resilience/timeouts.js';
import { shareInFlightQueries, sharingKey } from './inFlightSharing.js';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

const URL = 'http://office.invalid/graphql';
const BODY = '{"query":"{ sectors { id } }","variables":{}}';
const CLAIMS = { 'content-type': 'application/json', 'x-gateway-claims': 'caller-a' };

/** A send that holds every call until the test answers it, and counts them. */
function heldSend() {
  const calls: { init: Parameters<Fetcher>[1]; answer(response: FetcherResponse): void; fail(error: Error): void }[] =
    [];
  const send: Fetcher = (_url, init) =>
    new Promise((resolve, reject) => calls.push({ init, answer: resolve, fail: reject }));
  return { send, calls };
}

const answer = (body: unknown) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });

function inScope(fetcher: Fetcher, scope: Partial<FetchScope>, headers: Record<string, string> = CLAIMS, body = BODY) {
  return withFetchScope({ deadline: undefined, retryable: true, shareable: true, ...scope }, () =>
    fetcher(URL, { method: 'POST', headers, body }),
  );
}

/** Lets pending promise callbacks run, so the calls started so far have reached the send. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('sharingKey', () => {
  it('leaves out the request id, trace context and signature, and ignores header order and case', () => {
    const a = sharingKey(URL, {
      body: BODY,
      headers: { 'x-gateway-claims': 'c', 'x-request-id': 'one', traceparent: '00-a-b-01', 'x-locale': 'fr' },
    });
    const b = sharingKey(URL, {
      body: BODY,
      headers: { 'X-Locale': 'fr', 'x-request-id': 'two', 'x-gateway-signature': 's', 'x-gateway-claims': 'c' },
    });
    expect(a).toBe(b);
  });

  it('tells apart other claims, another propagated header value, another body and another office', () => {
    const base = sharingKey(URL, { body: BODY, headers: { 'x-gateway-claims': 'c', 'x-locale': 'fr' } });
    expect(sharingKey(URL, { body: BODY, headers: { 'x-gateway-claims': 'd', 'x-locale': 'fr' } })).not.toBe(base);
    expect(sharingKey(URL, { body: BODY, headers: { 'x-gateway-claims': 'c', 'x-locale': 'de' } })).not.toBe(base);
    expect(sharingKey(URL, { body: BODY, headers: { 'x-gateway-claims': 'c' } })).not.toBe(base);
    expect(sharingKey(URL, { body: `${BODY} `, headers: { 'x-gateway-claims': 'c', 'x-locale': 'fr' } })).not.toBe(
      base,
    );
    expect(
      sharingKey('http://other.invalid/graphql', {
        body: BODY,
        headers: { 'x-gateway-claims': 'c', 'x-locale': 'fr' },
      }),
    ).not.toBe(base);
  });
});

describe('shareInFlightQueries', () => {
  it('sends identical shareable fetches in flight at once as one call, each getting its own copy', async () => {
    const { send, calls } = heldSend();
    let shared = 0;
    const fetcher = shareInFlightQueries('sectors', send, () => shared++);
    const pending = [inScope(fetcher, {}), inScope(fetcher, {}), inScope(fetcher, {})];
    await settle();
    expect(calls).toHaveLength(1);
    expect(shared).toBe(2);
    calls[0]!.answer(answer({ data: { sectors: [{ id: 'energy' }] } }));
    const responses = await Promise.all(pending);
    expect(new Set(responses).size).toBe(3);
    const bodies = (await Promise.all(responses.map((response) => response.json()))) as { data: object }[];
    for (const body of bodies) expect(body).toEqual({ data: { sectors: [{ id: 'energy' }] } });
    expect(bodies[0]).not.toBe(bodies[1]);
  });

  it('asks again once the shared call has answered', async () => {
    const { send, calls } = heldSend();
    const fetcher = shareInFlightQueries('sectors', send, () => undefined);
    const first = inScope(fetcher, {});
    await settle();
    calls[0]!.answer(answer({ data: {} }));
    await first;
    const second = inScope(fetcher, {});
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.answer(answer({ data: {} }));
    await second;
  });

  it('never shares across callers (other claims) or fetches whose scope is not shareable', async () => {
    const { send, calls } = heldSend();
    const fetcher = shareInFlightQueries('sectors', send, () => undefined);
    const pending = [
      inScope(fetcher, {}),
      inScope(fetcher, {}, { ...CLAIMS, 'x-gateway-claims': 'caller-b' }),
      inScope(fetcher, { shareable: false }),
      inScope(fetcher, { shareable: false }),
    ];
    await settle();
    expect(calls.map((call) => call.init?.headers?.['x-gateway-claims'])).toEqual([
      'caller-a',
      'caller-b',
      'caller-a',
      'caller-a',
    ]);
    for (const call of calls) call.answer(answer({ data: {} }));
    await Promise.all(pending);
  });

  it("delivers the shared call's failure to every waiter", async () => {
    const { send, calls } = heldSend();
    const fetcher = shareInFlightQueries('sectors', send, () => undefined);
    const pending = [inScope(fetcher, {}), inScope(fetcher, {})];
    await settle();
    const timeout = new SubgraphTimeoutError('sectors', 300, 'timeout');
    calls[0]!.fail(timeout);
    const outcomes = await Promise.allSettled(pending);
    expect(outcomes).toEqual([
      { status: 'rejected', reason: timeout },
      { status: 'rejected', reason: timeout },
    ]);
    expect(calls).toHaveLength(1);
  });

  it('times a waiter out at its own deadline when it comes before the shared call ends', async () => {
    const { send, calls } = heldSend();
    const fetcher = shareInFlightQueries('sectors', send, () => undefined);
    const leader = inScope(fetcher, { deadline: Date.now() + 60_000 });
    const hurried = inScope(fetcher, { deadline: Date.now() + 20 });
    await expect(hurried).rejects.toMatchObject({ name: 'SubgraphTimeoutError', reason: 'deadline' });
    expect(calls).toHaveLength(1);
    calls[0]!.answer(answer({ data: { sectors: [] } }));
    expect(await (await leader).json()).toEqual({ data: { sectors: [] } });
  });
});
