import { createServer, type ServerResponse } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { FetchNode } from '@apollo/query-planner';
import type { PlanFetch } from '@cip/plan-executor';
import { OperationTypeNode } from 'graphql';
import { close, listen } from '@cip/core';
import { eventually } from '@cip/testing/suites';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import type { GatewayContext } from '../context.js';
import { createGatewayMetrics } from '../observability/metrics.js';
import { SubgraphGuards } from '../resilience/subgraphGuards.js';
import { createSubgraphClient } from './subgraphClient.js';
import { SubgraphDataSource, type SubgraphRequestHook } from './subgraphDataSource.js';

const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Sector{name}}}';
const REPRESENTATIONS = [{ __typename: 'Sector', id: 'energy' }];

/** One fetch of an `_entities` query, as the plan of an incoming operation of `operationType` makes it. */
function entitiesFetch(operationType: 'query' | 'mutation'): GraphQLDataSourceProcessOptions<GatewayContext> {
  return {
    kind: 'incoming operation',
    request: { query: ENTITIES, variables: { representations: REPRESENTATIONS } },
    incomingRequestContext: { operation: { operation: operationType } },
    context: {},
    pathInIncomingRequest: [],
  } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>;
}

describe('SubgraphDataSource sharing identical fetches in flight', () => {
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => held.push(res));
  });
  const client = createSubgraphClient({ connections: 8, keepAliveMs: 1_000 });
  const metrics = createGatewayMetrics();
  const guard = new SubgraphGuards(parseGatewayConfig({}).resilience.guards, metrics, pino({ level: 'silent' }));
  let source: SubgraphDataSource;
  const shared = async () => (await metrics.sharedCalls.get()).values[0]?.value ?? 0;
  const answerAll = () => {
    for (const res of held.splice(0)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { _entities: [{ name: 'Energy' }] } }));
    }
  };

  beforeEach(async () => {
    metrics.sharedCalls.reset();
    const url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
    source = new SubgraphDataSource(
      'sectors',
      { url, fetcher: client.fetcher },
      [],
      guard.forSubgraph('sectors'),
      undefined,
      true,
    );
  });
  afterEach(async () => {
    answerAll();
    await close(server);
  });

  it("shares a query's identical entity fetches, each caller getting its own result object", async () => {
    const pending = [source.process(entitiesFetch('query')), source.process(entitiesFetch('query'))];
    await eventually(async () => (await shared()) === 1, 'the second fetch joined the first');
    await eventually(async () => held.length === 1, 'the one call reached the office');
    answerAll();
    const [first, second] = await Promise.all(pending);
    expect(first).toMatchObject({ data: { _entities: [{ name: 'Energy' }] } });
    expect(second).toMatchObject({ data: { _entities: [{ name: 'Energy' }] } });
    expect(first!.data).not.toBe(second!.data);
    expect(held).toHaveLength(0);
  });

  it('never shares the entity fetches of a mutation, which read what the mutation wrote', async () => {
    const pending = [source.process(entitiesFetch('mutation')), source.process(entitiesFetch('mutation'))];
    await eventually(async () => held.length === 2, 'both fetches reached the office');
    answerAll();
    await Promise.all(pending);
    expect(await shared()).toBe(0);
  });
});

describe("SubgraphDataSource taking our executor's fetches directly (sendPlanFetch)", () => {
  interface Received {
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }
  const received: Received[] = [];
  let answer = { status: 200, headers: { 'content-type': 'application/json' } as Record<string, string>, body: '' };
  /** Answers given before `answer`, first to last. */
  const queued: (typeof answer)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const { status, headers, body: answerText } = queued.shift() ?? answer;
      res.writeHead(status, headers);
      res.end(answerText);
    });
  });
  const client = createSubgraphClient({ connections: 4, keepAliveMs: 1_000 });
  const metrics = createGatewayMetrics();
  const guards = new SubgraphGuards(parseGatewayConfig({}).resilience.guards, metrics, pino({ level: 'silent' }));
  const hookSaw: unknown[] = [];
  const hook: SubgraphRequestHook = (_subgraph, options) => {
    hookSaw.push(options.request.variables?.representations);
    options.request.http?.headers.set('X-Hooked', 'yes');
  };
  const fetchNode: FetchNode = {
    kind: 'Fetch',
    serviceName: 'sectors',
    operation: ENTITIES,
    operationName: undefined,
    operationKind: OperationTypeNode.QUERY,
  };
  const restricted: unknown[] = [];
  const incomingRequestContext = {
    operation: { operation: 'query' },
    context: {},
    overallCachePolicy: { restrict: (hint: unknown) => restricted.push(hint) },
  } as unknown as PlanFetch['incomingRequestContext'];
  let source: SubgraphDataSource;
  let url: string;
  const planFetch = () =>
    source.sendPlanFetch({
      fetch: fetchNode,
      variables: { representations: REPRESENTATIONS },
      incomingRequestContext,
      pathInIncomingRequest: [],
    });
  const viaProcess = () =>
    source.process({
      ...entitiesFetch('query'),
      incomingRequestContext,
    } as GraphQLDataSourceProcessOptions<GatewayContext>);

  beforeEach(async () => {
    received.length = 0;
    hookSaw.length = 0;
    restricted.length = 0;
    answer = {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'max-age=30, private' },
      body: JSON.stringify({ data: { _entities: [{ name: 'Energy' }] } }),
    };
    url = `${await listen(server, '127.0.0.1', 0)}/graphql`;
    source = new SubgraphDataSource('sectors', { url, fetcher: client.fetcher }, [hook], guards.forSubgraph('sectors'));
  });
  afterEach(() => close(server));

  it('sends what process sends (body byte for byte, hook headers) and reads the same answer', async () => {
    const direct = await planFetch();
    const stock = await viaProcess();
    expect(direct).toEqual({ data: { _entities: [{ name: 'Energy' }] } });
    expect(stock).toMatchObject(direct);
    const [viaDirect, viaStock] = received;
    expect(viaDirect?.body).toBe(viaStock?.body);
    expect(viaDirect?.headers['x-hooked']).toBe('yes');
    expect(viaDirect?.headers['content-type']).toBe('application/json');
    expect(hookSaw).toEqual([REPRESENTATIONS, REPRESENTATIONS]);
    // Both restrict the request's cache policy to the subgraph's Cache-Control.
    expect(restricted).toEqual([
      { maxAge: 30, scope: 'PRIVATE' },
      { maxAge: 30, scope: 'PRIVATE' },
    ]);
  });

  it('hands its scope to the guard and the sharing directly: a query fetch is retried, and identical ones in flight share', async () => {
    source = new SubgraphDataSource(
      'sectors',
      { url, fetcher: client.fetcher },
      [],
      guards.forSubgraph('sectors'),
      undefined,
      true,
    );
    queued.push({ status: 503, headers: { 'content-type': 'application/json', 'retry-after': '0' }, body: '{}' });
    const served = received.length;
    expect(await planFetch()).toEqual({ data: { _entities: [{ name: 'Energy' }] } });
    expect(received.length - served).toBe(2);
    metrics.sharedCalls.reset();
    const [first, second] = await Promise.all([planFetch(), planFetch()]);
    expect(first).toEqual(second);
    expect(first?.data).not.toBe(second?.data);
    expect((await metrics.sharedCalls.get()).values[0]?.value).toBe(1);
  });

  it('turns a failed answer into the coded errors process gives, with the entity paths it cost', async () => {
    answer = { status: 400, headers: { 'content-type': 'text/plain' }, body: 'bad request' };
    const direct = await planFetch();
    expect(direct).toEqual({
      errors: [
        {
          message: 'The sectors subgraph answered HTTP 400.',
          path: ['_entities', 0, 'name'],
          extensions: { code: 'SUBGRAPH_BAD_RESPONSE' },
        },
      ],
    });
    expect(await viaProcess()).toEqual(direct);
    answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{"data":' };
    expect((await planFetch()).errors?.[0]?.extensions?.code).toBe('SUBGRAPH_BAD_RESPONSE');
  });
});
