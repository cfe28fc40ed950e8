import { createServer, type ServerResponse } from 'node:http';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { close, listen } from '@cip/core';
import { eventually } from '@cip/testing/suites';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import type { GatewayContext } from '../context.js';
import { createGatewayMetrics } from '../observability/metrics.js';
import { SubgraphGuards } from '../resilience/subgraphGuards.js';
import { createSubgraphClient } from './subgraphClient.js';
import { SubgraphDataSource } from './subgraphDataSource.js';

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
