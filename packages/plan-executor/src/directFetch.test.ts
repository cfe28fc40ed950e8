import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterEach, describe, expect, test } from 'vitest';
import type { DirectSubgraphSource, PlanFetch } from './directFetch.js';
import { INCOMING_OPERATION } from './gatewayInternals.js';
import { installFastExecutor } from './fastExecutor.js';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const offices = {
  sectors: buildSubgraphSchema({
    typeDefs: parse(`${link}
      type Query { sector(code: ID!): Sector }
      type Sector @key(fields: "code") { code: ID! label: String }`),
    resolvers: { Query: { sector: (_: unknown, { code }: { code: string }) => ({ code, label: 'Energy' }) } },
  }),
  partners: buildSubgraphSchema({
    typeDefs: parse(`${link}
      type Sector @key(fields: "code") { code: ID! partnerCount: Int }`),
    resolvers: { Sector: { __resolveReference: ({ code }: { code: string }) => ({ code, partnerCount: 7 }) } },
  }),
};

/** Takes our executor's fetches directly (recording them), answering from the in-process office. */
class DirectOffice extends LocalGraphQLDataSource implements DirectSubgraphSource {
  readonly direct: PlanFetch[] = [];
  processed = 0;

  override process(...args: Parameters<LocalGraphQLDataSource['process']>) {
    this.processed++;
    return super.process(...args);
  }

  sendPlanFetch(request: PlanFetch) {
    this.direct.push(request);
    return super.process({
      kind: INCOMING_OPERATION,
      request: { query: request.fetch.operation, variables: request.variables },
      incomingRequestContext: request.incomingRequestContext,
      context: request.incomingRequestContext.context,
      pathInIncomingRequest: [...request.pathInIncomingRequest],
    });
  }
}

const servers: ApolloServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

describe('our executor and a data source that takes its fetches directly', () => {
  test('hands it every fetch of a plan it runs (entities with their representations), never through process', async () => {
    const composition = composeServices(
      Object.entries(offices).map(([name, schema]) => ({
        name,
        url: `http://${name}.invalid/graphql`,
        typeDefs: new LocalGraphQLDataSource(schema).sdl(),
      })),
    );
    if (composition.errors) throw new Error(composition.errors.map(({ message }) => message).join('\n'));
    const sources = { sectors: new DirectOffice(offices.sectors), partners: new DirectOffice(offices.partners) };
    const gateway = new ApolloGateway({
      supergraphSdl: composition.supergraphSdl,
      buildService: ({ name }) => sources[name as keyof typeof sources],
    });
    const stats = installFastExecutor(gateway);
    const server = new ApolloServer({ gateway });
    await server.start();
    servers.push(server);

    const response = await server.executeOperation({ query: '{ sector(code: "nrg") { label partnerCount } }' });
    expect(response.body.kind === 'single' && response.body.singleResult).toEqual({
      data: { sector: { label: 'Energy', partnerCount: 7 } },
    });
    expect(stats.fast).toBe(1);
    expect(sources.sectors.direct).toHaveLength(1);
    expect(sources.partners.direct.map(({ variables }) => variables.representations)).toEqual([
      [{ __typename: 'Sector', code: 'nrg' }],
    ]);
    expect(sources.sectors.processed + sources.partners.processed).toBe(0);
  });
});
