import { meros } from 'meros/browser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, parseGatewayConfig } from '@cip/gateway';
import {
  DEFER_ACCEPT,
  deferredVariants,
  postIncremental,
  reassemble,
  withoutDefer,
  withoutDeferredFragments,
  type IncrementalPayload,
} from '@cip/testing/incremental';
import { exampleOperations } from '@cip/testing/example-operations';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken } from '@cip/testing/tokens';

/**
 * @defer through the gateway (docs/live-changes.md#defer): the parts streamed as
 * `multipart/mixed; deferSpec=20220824`, reassembled as Apollo Client does, are exactly the answer
 * to the same operation without @defer; a client that does not take multipart gets that answer
 * byte for byte; errors inside parts carry their paths; a stopped office costs only its part.
 */

const sortErrors = (errors: unknown[] | undefined) => (errors ?? []).map((error) => JSON.stringify(error)).sort();

let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({ ...TEST_AUTH, BREAKER_FAILURE_THRESHOLD: '100000', SUBGRAPH_RETRIES: '0' });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

async function postJson(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
  };
}

/** The streamed payloads' shape, as deferSpec=20220824 has it. */
function expectWellFormed(payloads: IncrementalPayload[]): void {
  const [initial, ...rest] = payloads;
  expect(initial?.hasNext).toBe(true);
  expect(rest.length).toBeGreaterThan(0);
  rest.forEach((payload, index) => {
    expect(payload.data).toBeUndefined();
    expect(payload.hasNext).toBe(index < rest.length - 1);
    for (const item of payload.incremental ?? []) expect(Array.isArray(item.path)).toBe(true);
  });
}

describe('@defer through the gateway', () => {
  const variants = exampleOperations().flatMap((example) =>
    deferredVariants({
      label: example.name,
      query: example.query,
      ...(example.variables ? { variables: example.variables } : {}),
    }),
  );

  it(`${variants.length} deferred variants of the example operations: the parts reassemble to exactly the answer without @defer`, async () => {
    expect(variants.length).toBeGreaterThan(60);
    let initialChecked = 0;
    for (const variant of variants) {
      const expected = await postJson(withoutDefer(variant.query), variant.variables);
      expect(expected.status, variant.label).toBe(200);
      const streamed = await postIncremental(system.gatewayUrl, { query: variant.query, variables: variant.variables });
      expect(streamed.status, variant.label).toBe(200);
      expect(streamed.contentType, variant.label).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
      expectWellFormed(streamed.payloads);
      // The initial payload holds exactly what is not deferred (where that is an operation of its own).
      const initialOnly = await postJson(withoutDeferredFragments(variant.query), variant.variables);
      if (initialOnly.status === 200) {
        expect(streamed.payloads[0]?.data, `${variant.label} (initial payload)`).toEqual(
          (JSON.parse(initialOnly.text) as { data: unknown }).data,
        );
        initialChecked++;
      }
      const reassembled = reassemble(streamed.payloads);
      const answer = JSON.parse(expected.text) as { data?: unknown; errors?: unknown[] };
      expect(reassembled.data, variant.label).toEqual(answer.data);
      expect(sortErrors(reassembled.errors), variant.label).toEqual(sortErrors(answer.errors));
      // A client that takes only JSON: one response, byte for byte the answer without @defer.
      const merged = await postJson(variant.query, variant.variables);
      expect(merged.contentType, variant.label).toMatch(/^application\/json/);
      expect(merged.text, variant.label).toBe(expected.text);
    }
    expect(initialChecked).toBeGreaterThan(variants.length / 2);
  }, 600_000);

  it('a deferred part arrives after the initial payload, at its path, with its label', async () => {
    const query = `{ sector(id: "energy") { name ... @defer(label: "slow") { cascade(maxHops: 2) { hops sector { name } } } } }`;
    const { payloads } = await postIncremental(system.gatewayUrl, { query });
    expect(payloads[0]).toEqual({ data: { sector: { name: 'Energy' } }, hasNext: true });
    expect(payloads[1]?.hasNext).toBe(false);
    expect(payloads[1]?.incremental).toEqual([
      { data: { cascade: expect.any(Array) as unknown }, path: ['sector'], label: 'slow' },
    ]);
  });

  it('a fragment deferred inside a list arrives once per element, each with its index in the path', async () => {
    const query = `{ partner(id: "canada") { name agreements { nodes { id ... @defer { threatFocusAreas { name } } } } } }`;
    const { payloads } = await postIncremental(system.gatewayUrl, { query });
    const nodes = (payloads[0]?.data?.partner as { agreements: { nodes: unknown[] } }).agreements.nodes;
    expect(nodes.length).toBeGreaterThan(1);
    const paths = payloads.slice(1).flatMap((payload) => (payload.incremental ?? []).map((item) => item.path));
    expect(paths).toEqual(nodes.map((_, index) => ['partner', 'agreements', 'nodes', index]));
  });

  it('nested defers: the inner part comes after the outer one it sits in', async () => {
    const query = `{ partner(id: "canada") { name ... @defer(label: "outer") { agreements(first: 2) { nodes { title ... @defer(label: "inner") { sectors { name } } } } } } }`;
    const { payloads } = await postIncremental(system.gatewayUrl, { query });
    const labels = payloads.slice(1).flatMap((payload) => (payload.incremental ?? []).map((item) => item.label));
    expect(labels[0]).toBe('outer');
    expect(labels.slice(1).every((label) => label === 'inner')).toBe(true);
    expect(reassemble(payloads).data).toEqual(JSON.parse((await postJson(withoutDefer(query))).text).data);
  });

  it('Accept: application/json gets one ordinary response, everything merged', async () => {
    const query = `{ partner(id: "canada") { name ... @defer { agreements { totalCount } } } }`;
    const merged = await postJson(query);
    expect(merged.status).toBe(200);
    expect(merged.contentType).toMatch(/^application\/json/);
    expect(merged.text).toBe((await postJson(withoutDefer(query))).text);
    // Apollo Server's own negotiation decides: multipart without deferSpec, or only the newer spec, is not streamed.
    for (const accept of [
      'multipart/mixed, application/json',
      'multipart/mixed;incrementalSpec=v0.2, application/json',
    ]) {
      const response = await postJson(query, undefined, { accept });
      expect(response.contentType, accept).toMatch(/^application\/json/);
      expect(response.text, accept).toBe(merged.text);
    }
  });

  it('a batch of deferred operations is answered as one JSON array, merged', async () => {
    const query = `{ partner(id: "canada") { name ... @defer { region } } }`;
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT },
      body: JSON.stringify([{ query }, { query }]),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { data: { partner: { name: 'Canada', region: 'North America' } } },
      { data: { partner: { name: 'Canada', region: 'North America' } } },
    ]);
  });

  it('the API schema declares @defer', async () => {
    const response = await postJson('{ __schema { directives { name locations args { name } } } }');
    const { data } = JSON.parse(response.text) as {
      data: { __schema: { directives: { name: string; locations: string[]; args: { name: string }[] }[] } };
    };
    expect(data.__schema.directives.find((directive) => directive.name === 'defer')).toEqual({
      name: 'defer',
      locations: ['FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
      args: [{ name: 'label' }, { name: 'if' }],
    });
  });

  it('errors inside a deferred part carry their path from the response root', async () => {
    const query = `{ sectors(first: 2) { nodes { name ... @defer(label: "c") { cascade(maxHops: 99) { hops } } } } }`;
    const { payloads } = await postIncremental(system.gatewayUrl, { query });
    expect(payloads[0]).toEqual({
      data: { sectors: { nodes: [{ name: 'Agriculture and Food' }, { name: 'Banking and Finance' }] } },
      hasNext: true,
    });
    const items = payloads.slice(1).flatMap((payload) => payload.incremental ?? []);
    // A null that bubbles up stops at the deferred fragment: each part's data is null, the rest stays.
    expect(items).toEqual(
      [0, 1].map((index) => ({
        data: null,
        path: ['sectors', 'nodes', index],
        label: 'c',
        errors: [
          {
            message: 'maxHops must be between 1 and 10; got 99.',
            path: ['sectors', 'nodes', index, 'cascade'],
            extensions: { argument: 'maxHops', code: 'BAD_USER_INPUT', subgraph: 'sectors' },
          },
        ],
      })),
    );
  });

  it('@defer(if: false) and if: $variable: deferred only when true', async () => {
    const query = `query Q($d: Boolean!) { partner(id: "canada") { name ... @defer(if: $d) { region } } }`;
    const off = await postIncremental(system.gatewayUrl, { query, variables: { d: false } });
    expect(off.payloads).toEqual([{ data: { partner: { name: 'Canada', region: 'North America' } } }]);
    const on = await postIncremental(system.gatewayUrl, { query, variables: { d: true } });
    expect(on.payloads).toHaveLength(2);
    expect(on.payloads[0]?.data).toEqual({ partner: { name: 'Canada' } });
  });

  it('field rules apply inside deferred parts: a restricted field is null there, with its error', async () => {
    const query = `{ partner(id: "canada") { name ... @defer(label: "contacts") { pointsOfContact { name } kind } } }`;
    const anonymous = await postIncremental(system.gatewayUrl, { query });
    expect(anonymous.payloads[0]).toEqual({ data: { partner: { name: 'Canada' } }, hasNext: true });
    const [part] = anonymous.payloads[1]?.incremental ?? [];
    expect(part?.data).toEqual({ pointsOfContact: null, kind: 'COUNTRY' });
    expect(part?.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['partner', 'pointsOfContact'], 'UNAUTHORIZED_FIELD_OR_TYPE'],
    ]);
    expect(reassemble(anonymous.payloads)).toEqual(JSON.parse((await postJson(withoutDefer(query))).text));
    const token = await makeToken({ scopes: ['partners:restricted'] });
    const allowed = await postIncremental(system.gatewayUrl, { query }, { authorization: `Bearer ${token}` });
    expect(allowed.payloads[1]?.incremental?.[0]?.data).toEqual({
      pointsOfContact: expect.arrayContaining([
        expect.objectContaining({ name: expect.any(String) as unknown }),
      ]) as unknown,
      kind: 'COUNTRY',
    });
  });

  it('the query plan of a deferred operation is exposed in the initial payload, with its Defer node', async () => {
    const query = `{ partner(id: "canada") { name ... @defer { agreements { totalCount } } } }`;
    const { payloads } = await postIncremental(system.gatewayUrl, { query }, { 'query-plan': 'include' });
    const plan = payloads[0]?.extensions?.queryPlan as { text: string; subgraphs: string[] } | undefined;
    expect(plan?.text).toContain('Defer {');
    expect(plan?.subgraphs).toEqual(['partners', 'agreements']);
  });

  it("a standard multipart reader (meros, which GraphiQL's toolkit uses; Apollo Client is not installed) reads the same payloads", async () => {
    const query = `{ partner(id: "canada") { name ... @defer { agreements { totalCount } } } }`;
    const response = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT },
      body: JSON.stringify({ query }),
    });
    const parts = await meros<IncrementalPayload>(response);
    expect(parts).not.toBeInstanceOf(Response);
    const read: IncrementalPayload[] = [];
    for await (const part of parts as AsyncGenerator<{ json: boolean; body: IncrementalPayload }>) {
      expect(part.json).toBe(true);
      read.push(part.body);
    }
    expect(read).toEqual((await postIncremental(system.gatewayUrl, { query })).payloads);
  });

  // Last: it stops an office.
  it('a deferred part whose office is stopped: null there with an error naming the office, the rest arrives', async () => {
    const query = `{ partner(id: "canada") { name region ... @defer(label: "areas") { agreements(first: 2) { nodes { title threatFocusAreas { name } } } } } }`;
    await system.subgraphs.find((subgraph) => subgraph.name === 'threat-focus-areas')?.stop();
    const { payloads } = await postIncremental(system.gatewayUrl, { query });
    expect(payloads[0]).toEqual({ data: { partner: { name: 'Canada', region: 'North America' } }, hasNext: true });
    const [part] = payloads[1]?.incremental ?? [];
    const nodes = (part?.data?.agreements as { nodes: { title: string; threatFocusAreas: unknown[] }[] }).nodes;
    expect(nodes.map((node) => typeof node.title)).toEqual(['string', 'string']);
    for (const node of nodes) for (const area of node.threatFocusAreas) expect(area).toBeNull();
    expect(part?.errors?.length).toBeGreaterThan(0);
    for (const error of part?.errors ?? []) {
      expect(error.extensions?.subgraph).toBe('threat-focus-areas');
      expect(error.path?.slice(0, 3)).toEqual(['partner', 'agreements', 'nodes']);
    }
    const expected = JSON.parse((await postJson(withoutDefer(query))).text) as { data: unknown; errors: unknown[] };
    expect(reassemble(payloads).data).toEqual(expected.data);
    expect(sortErrors(reassemble(payloads).errors)).toEqual(sortErrors(expected.errors));
  });
});

/** A gateway of its own over the system's offices (after the describe above, one office is stopped: not the one used here). */
async function ownGateway(env: Record<string, string>) {
  const subgraphUrls = Object.entries(system.subgraphUrls)
    .map(([name, url]) => `${name}=${url}`)
    .join(',');
  const gateway = await buildGateway(
    parseGatewayConfig({ NODE_ENV: 'test', PORT: '0', SUBGRAPH_URLS: subgraphUrls, ...env }),
    pino({ level: 'silent' }),
  );
  return { gateway, url: `${await gateway.listen('127.0.0.1', 0)}/graphql` };
}

describe('@defer with the response cache on', () => {
  it('a streamed answer is never stored (its initial payload is not the answer); the merged one is', async () => {
    const { gateway, url } = await ownGateway({ RESPONSE_CACHE: 'on' });
    try {
      const query = '{ partner(id: "mexico") { id name ... @defer { region kind } } }';
      const streamed = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT },
        body: JSON.stringify({ query }),
      });
      expect(streamed.headers.get('content-type')).toBe('multipart/mixed; boundary="-"; deferSpec=20220824');
      await streamed.text();
      const answers: { cache: string | null; body: unknown }[] = [];
      for (let index = 0; index < 2; index++) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query }),
        });
        answers.push({ cache: response.headers.get('x-response-cache'), body: await response.json() });
      }
      const whole = { data: { partner: { id: 'mexico', name: 'Mexico', region: 'North America', kind: 'COUNTRY' } } };
      expect(answers).toEqual([
        { cache: 'miss', body: whole },
        { cache: 'hit', body: whole },
      ]);
    } finally {
      await gateway.stop();
    }
  });
});

describe('@defer with PLAN_EXECUTOR=stock', () => {
  it('is not in the schema: the stock executor cannot run Defer nodes, so the operation is refused before planning', async () => {
    const { gateway: stock, url } = await ownGateway({ PLAN_EXECUTOR: 'stock' });
    try {
      const { status, payloads } = await postIncremental(url, {
        query: '{ partner(id: "canada") { name ... @defer { region } } }',
      });
      expect(status).toBe(400);
      expect(payloads[0]?.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(payloads[0]?.errors?.[0]?.message).toMatch(/Unknown directive "@defer"/);
    } finally {
      await stock.stop();
    }
  });
});
