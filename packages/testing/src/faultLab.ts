import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphqlHandler, listen } from '@cip/core';
import { buildGateway, parseGatewayConfig, type GatewayApp } from '@cip/gateway';
import { compose } from '@cip/schema';
import { parse } from 'graphql';
import { pino } from 'pino';
import { createSubgraphMetrics, subgraphObservabilityPlugin } from '@cip/subgraph-kit';
import { labGatewayEnv } from './config.js';
import type { GraphQLResponse } from './system.js';

/**
 * A small federated graph for fault injection: `stable` (root fields and `Item` entities) and
 * `flaky` (a root field, a mutation, and `Item.detail`), both real Apollo subgraphs on port 0,
 * with a switch in front of `flaky` to make it misbehave in each way an office can. The gateway
 * under test is the real one (`buildGateway`), over a supergraph composed here.
 */
export const STABLE_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { stable: String! items: [Item!]! }
  type Item @key(fields: "id") { id: ID! name: String! }
`;

export const FLAKY_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Query { flaky: String }
  type Mutation { touch: Int! }
  type Item @key(fields: "id") { id: ID! detail: String }
`;

/** Handles a request instead of the subgraph; return false to let the subgraph answer. */
export type Fault = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export const faults = {
  status:
    (status: number, headers: Record<string, string> = {}): Fault =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ errors: [{ message: `fault ${status}` }] }));
      return true;
    },
  /** Answers 200 with an HTML page, as a misconfigured proxy does. */
  html: (): Fault => (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Bad gateway</body></html>');
    return true;
  },
  /** Answers 200 JSON that is not a GraphQL response at all. */
  notGraphql: (): Fault => (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('"just a string"');
    return true;
  },
  /** Declares a body of 1000 bytes, sends 20, and closes the socket. */
  truncated: (): Fault => (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"data":{"flaky":"tr');
    setImmediate(() => res.socket?.destroy());
    return true;
  },
  /** Reads the request and never answers: a hung socket. */
  hang: (): Fault => () => true,
  /** Answers normally, but only after `ms`. */
  sleep:
    (ms: number): Fault =>
    async () => {
      await sleep(ms);
      return false;
    },
  /** Applies `first` to the first `times` requests, then lets the subgraph answer. */
  times: (times: number, first: Fault): Fault => {
    let left = times;
    return (req, res) => (left-- > 0 ? first(req, res) : false);
  },
};

export interface LabSubgraph {
  readonly name: string;
  url: string;
  /** Requests received (including those a fault answered), by kind. */
  readonly received: { total: number; mutations: number };
  /** Headers of the last request received. */
  lastHeaders: IncomingMessage['headers'];
  fault: Fault | undefined;
  /** Stops listening and cuts every connection: the office is down. */
  kill(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

async function startLabSubgraph(
  name: string,
  sdl: string,
  resolvers: object,
): Promise<LabSubgraph & { server: Server; apollo: ApolloServer }> {
  const silent = pino({ level: 'silent' });
  const apollo = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as never }),
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      subgraphObservabilityPlugin(name, createSubgraphMetrics(name, { onStatement: () => () => true }), silent),
    ],
  });
  await apollo.start();
  const answer = graphqlHandler(apollo, {
    context: async () => ({}),
    maxBodyBytes: 1_000_000,
    onInternalError: () => undefined,
  });
  const lab = {
    name,
    url: '',
    received: { total: 0, mutations: 0 },
    lastHeaders: {} as IncomingMessage['headers'],
    fault: undefined as Fault | undefined,
    server: undefined as unknown as Server,
    apollo,
    port: 0,
    async kill() {
      await new Promise<void>((resolve) => {
        lab.server.close(() => resolve());
        lab.server.closeAllConnections();
      });
    },
    async restart() {
      lab.server = makeServer();
      await listen(lab.server, '127.0.0.1', lab.port);
    },
  };
  const makeServer = () =>
    createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/ready') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ready"}');
        return;
      }
      void (async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
        const raw = Buffer.concat(chunks);
        const query = (JSON.parse(raw.toString('utf8') || '{}') as { query?: string }).query ?? '';
        lab.received.total += 1;
        if (/^\s*mutation\b/.test(query)) lab.received.mutations += 1;
        lab.lastHeaders = req.headers;
        if (lab.fault && (await lab.fault(req, res))) return;
        if (res.destroyed) return;
        // The body was read above; hand Apollo a request whose body can be read again.
        const replay = Object.assign(
          (async function* () {
            yield raw;
          })(),
          { headers: req.headers, method: req.method, url: req.url },
        );
        await answer(replay as unknown as IncomingMessage, res);
      })();
    });
  lab.server = makeServer();
  const base = await listen(lab.server, '127.0.0.1', 0);
  lab.port = Number(new URL(base).port);
  lab.url = `${base}/graphql`;
  return lab;
}

export interface FaultLab {
  stable: LabSubgraph;
  flaky: LabSubgraph;
  gateway: GatewayApp;
  gatewayUrl: string;
  baseUrl: string;
  supergraphPath: string;
  /** Composes the lab's supergraph, with `stable`'s SDL replaced or `flaky` left out (hot reload tests). */
  composeSupergraph(stableSdl?: string, options?: { withoutFlaky?: boolean }): string;
  query<Data = Record<string, any>>(
    query: string,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data> & { status: number; headers: Headers }>;
  /** The value of one series in the gateway's /metrics (0 when absent). */
  metric(series: string): Promise<number>;
  stop(): Promise<void>;
}

export async function startFaultLab(env: Record<string, string> = {}): Promise<FaultLab> {
  let touches = 0;
  const stable = await startLabSubgraph('stable', STABLE_SDL, {
    Query: {
      stable: () => 'ok',
      items: () => [
        { id: '1', name: 'one' },
        { id: '2', name: 'two' },
      ],
    },
  });
  const flaky = await startLabSubgraph('flaky', FLAKY_SDL, {
    Query: { flaky: () => 'fine' },
    Mutation: { touch: () => ++touches },
    Item: { __resolveReference: (ref: { id: string }) => ref, detail: (item: { id: string }) => `detail-${item.id}` },
  });
  const composeSupergraph = (stableSdl = STABLE_SDL, { withoutFlaky = false } = {}) => {
    const outcome = compose([
      { name: 'stable', routingUrl: stable.url, schemaPath: 'stable.graphql', sdl: stableSdl },
      ...(withoutFlaky ? [] : [{ name: 'flaky', routingUrl: flaky.url, schemaPath: 'flaky.graphql', sdl: FLAKY_SDL }]),
    ]);
    if (!outcome.ok) throw new Error(outcome.errors.map((error) => error.message).join('\n'));
    return outcome.supergraphSdl;
  };
  const dir = await mkdtemp(join(tmpdir(), 'cip-fault-lab-'));
  const supergraphPath = join(dir, 'supergraph.graphql');
  await writeFile(supergraphPath, composeSupergraph());
  const { SUPERGRAPH_PATH, ...labEnv } = labGatewayEnv(supergraphPath);
  const config = parseGatewayConfig({
    ...labEnv,
    // The lab's file, unless a test serves the supergraph from a URL (the config refuses both).
    ...(env.SUPERGRAPH_URL ? {} : { SUPERGRAPH_PATH }),
    // Generous for the healthy office, so a loaded CI machine cannot make it time out; tests that
    // need a short timeout set one for `flaky` alone (SUBGRAPH_TIMEOUTS).
    SUBGRAPH_TIMEOUT_MS: '10000',
    SUBGRAPH_RETRY_BASE_MS: '5',
    SUBGRAPH_RETRY_MAX_MS: '20',
    ...env,
  });
  const gateway = await buildGateway(config, pino({ level: 'silent' }));
  const baseUrl = await gateway.listen('127.0.0.1', 0);
  const gatewayUrl = `${baseUrl}/graphql`;
  return {
    stable,
    flaky,
    gateway,
    gatewayUrl,
    baseUrl,
    supergraphPath,
    composeSupergraph,
    async query(query, headers = {}) {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query }),
      });
      return {
        status: response.status,
        headers: response.headers,
        ...((await response.json()) as GraphQLResponse<any>),
      };
    },
    async metric(series) {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
    async stop() {
      await gateway.stop();
      for (const subgraph of [stable, flaky]) {
        if (subgraph.server.listening) await subgraph.kill();
        await subgraph.apollo.stop();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
