import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { Supergraph } from '@apollo/federation-internals';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, type GraphQLSchema } from 'graphql';
import { fleetSubgraphs } from './fleetSubgraphs.js';

/**
 * Starts the purpose-built fleet subgraphs on port 0 and composes their supergraph, the routing
 * URLs pointing at them. Each subgraph is a bare HTTP server over graphql-js, so that a rigged
 * request can be answered with what no GraphQL server would send (see `sabotage`).
 */

export interface RunningSubgraph {
  readonly name: string;
  readonly url: string;
  /** Stops listening and drops open connections: the subgraph is down from then on. */
  stop(): Promise<void>;
}

export interface FleetSystem {
  readonly supergraphSdl: string;
  readonly subgraphs: readonly RunningSubgraph[];
  stop(): Promise<void>;
}

type SubgraphResolvers = NonNullable<
  Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']
>;

type Sabotage = 'malformed-json' | 'connection-reset' | 'http-500' | 'not-graphql' | undefined;

/** VINs in entity representations that break the HTTP answer of the whole fetch carrying them. */
function sabotage(variables: unknown): Sabotage {
  const representations = (variables as { representations?: unknown } | null)?.representations;
  if (!Array.isArray(representations)) return undefined;
  for (const representation of representations as { vin?: unknown }[]) {
    switch (representation.vin) {
      case 'VIN-MALFORMED':
        return 'malformed-json';
      case 'VIN-DOWN':
        return 'connection-reset';
      case 'VIN-500':
        return 'http-500';
      case 'VIN-NODATA':
        return 'not-graphql';
    }
  }
  return undefined;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function handler(schema: GraphQLSchema) {
  return (request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const body = JSON.parse(await readBody(request)) as {
        query: string;
        variables?: Record<string, unknown>;
        operationName?: string;
      };
      switch (sabotage(body.variables)) {
        case 'malformed-json':
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"_entities": [');
          return;
        case 'connection-reset':
          request.socket.destroy();
          return;
        case 'http-500':
          response.writeHead(500, { 'content-type': 'text/plain' }).end('telemetry exploded');
          return;
        case 'not-graphql':
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"unexpected":true}');
          return;
        case undefined:
          break;
      }
      const result = await graphql({
        schema,
        source: body.query,
        variableValues: body.variables ?? null,
        operationName: body.operationName ?? null,
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/graphql`;
}

async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  server.closeAllConnections();
  await closed;
}

/** Composes the fleet subgraphs (routing to `urls`) into a supergraph; throws on composition errors. */
export function composeFleet(urls: Readonly<Record<string, string>>): string {
  const composed = composeServices(
    fleetSubgraphs.map(({ name, typeDefs }) => ({
      name,
      url: urls[name] ?? `http://${name}.invalid/graphql`,
      typeDefs,
    })),
  );
  if (composed.errors) {
    throw new Error(`The fleet subgraphs do not compose:\n${composed.errors.map(String).join('\n')}`);
  }
  return composed.supergraphSdl;
}

/** The API schema clients of the fleet supergraph see (to generate and validate operations). */
export function fleetApiSchema(): GraphQLSchema {
  return Supergraph.build(composeFleet({})).apiSchema().toGraphQLJSSchema();
}

export async function startFleet(): Promise<FleetSystem> {
  const subgraphs: RunningSubgraph[] = [];
  const stopAll = () => Promise.all(subgraphs.map((subgraph) => subgraph.stop())).then(() => undefined);
  try {
    for (const subgraph of fleetSubgraphs) {
      const schema = buildSubgraphSchema({
        typeDefs: subgraph.typeDefs,
        resolvers: subgraph.resolvers as SubgraphResolvers,
      });
      const server = createServer(handler(schema));
      const url = await listen(server);
      subgraphs.push({ name: subgraph.name, url, stop: () => close(server) });
    }
    const supergraphSdl = composeFleet(Object.fromEntries(subgraphs.map(({ name, url }) => [name, url])));
    return { supergraphSdl, subgraphs, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
