import { createServer, request, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listen } from '@cip/core';
import {
  buildSchema,
  execute,
  Kind,
  parse,
  type DirectiveNode,
  type ExecutionResult,
  type GraphQLFieldResolver,
} from 'graphql';

/**
 * A switch in front of a real office: the gateway is routed through it (`SUBGRAPH_URLS`), and a
 * test turns the office down (the front stops listening and cuts every connection, as a stopped
 * process does) or slow (each request waits `ms` before it is passed on), then back.
 */
export interface OfficeFront {
  readonly name: string;
  /** The URL to route the gateway to (`/graphql` of the front). */
  readonly url: string;
  down(): Promise<void>;
  slow(ms: number): void;
  up(): Promise<void>;
  stop(): Promise<void>;
}

async function startOfficeFront(name: string, target: string): Promise<OfficeFront> {
  const upstream = new URL(target);
  let delayMs = 0;
  // Ends the waits of a slow spell at once when the office is up again, so none outlives the test.
  let slowSpell = new AbortController();
  let server: Server;
  const makeServer = () =>
    createServer((req, res) => {
      void (async () => {
        if (delayMs > 0) await sleep(delayMs, undefined, { signal: slowSpell.signal }).catch(() => undefined);
        if (res.destroyed) return;
        const forwarded = request(
          { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forwarded.on('error', () => res.destroy());
        req.pipe(forwarded);
      })();
    });
  server = makeServer();
  const base = await listen(server, '127.0.0.1', 0);
  const port = Number(new URL(base).port);
  const close = () =>
    new Promise<void>((resolve) => {
      slowSpell.abort();
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    name,
    url: `${base}/graphql`,
    down: close,
    slow(ms) {
      delayMs = ms;
    },
    async up() {
      delayMs = 0;
      slowSpell.abort();
      slowSpell = new AbortController();
      if (server.listening) return;
      server = makeServer();
      await listen(server, '127.0.0.1', port);
    },
    stop: close,
  };
}

/** One front per office, keyed by office name, in front of the URLs given (a stack's `subgraphUrls`). */
export async function startOfficeFronts(subgraphUrls: Record<string, string>): Promise<Record<string, OfficeFront>> {
  const fronts = await Promise.all(Object.entries(subgraphUrls).map(([name, url]) => startOfficeFront(name, url)));
  return Object.fromEntries(fronts.map((front) => [front.name, front]));
}

/** `SUBGRAPH_URLS` that route a gateway through the fronts. */
export function routedThrough(fronts: Record<string, OfficeFront>): string {
  return Object.values(fronts)
    .map((front) => `${front.name}=${front.url}`)
    .join(',');
}

/** Which offices resolve each field of the supergraph (`Type.field` -> office names), from its join directives. */
function fieldOffices(supergraphSdl: string): Map<string, string[]> {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const stringArgument = (directive: DirectiveNode, name: string) => {
    const value = directive.arguments?.find((argument) => argument.name.value === name)?.value;
    return value?.kind === Kind.STRING || value?.kind === Kind.ENUM ? value.value : undefined;
  };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const graph = value.directives?.find((directive) => directive.name.value === 'join__graph');
      if (graph) graphNames.set(value.name.value, stringArgument(graph, 'name')!);
    }
  }
  const offices = new Map<string, string[]>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const typeGraphs = (definition.directives ?? [])
      .filter((directive) => directive.name.value === 'join__type')
      .map((directive) => graphNames.get(stringArgument(directive, 'graph')!)!);
    for (const field of definition.fields ?? []) {
      const joins = (field.directives ?? []).filter((directive) => directive.name.value === 'join__field');
      const resolving = joins
        .filter((directive) => {
          const external = directive.arguments?.find((argument) => argument.name.value === 'external')?.value;
          return !(external?.kind === Kind.BOOLEAN && external.value);
        })
        .map((directive) => graphNames.get(stringArgument(directive, 'graph')!)!);
      offices.set(`${definition.name.value}.${field.name.value}`, joins.length > 0 ? resolving : typeGraphs);
    }
  }
  return offices;
}

interface Attributed {
  value: Record<string, unknown>;
  /** The office whose fetch produced this object. */
  office: string | undefined;
}

/**
 * The answer a gateway owes when `office` is down, derived from the full answer: every field that
 * office resolves is replaced by an error, and GraphQL's own execution (over the public API schema)
 * carries each null up to the nearest nullable position, with the error's path. A field is the
 * office's when the office that produced its parent object does not resolve it and `office` does
 * (the planner asks the parent's office first); a value type's fields go with their parent.
 */
export function answerWithoutOffice(
  schemas: { apiSdl: string; supergraphSdl: string },
  operation: { document: string; variables?: Record<string, unknown> },
  fullData: Record<string, unknown>,
  office: string,
): Promise<ExecutionResult> {
  const offices = fieldOffices(schemas.supergraphSdl);
  const attribute = (value: unknown, from: string | undefined): unknown => {
    if (Array.isArray(value)) return value.map((item) => attribute(item, from));
    if (value !== null && typeof value === 'object') {
      return { value: value as Record<string, unknown>, office: from } satisfies Attributed;
    }
    return value;
  };
  const fieldResolver: GraphQLFieldResolver<Attributed, unknown> = (parent, _args, _context, info) => {
    const resolving = offices.get(`${info.parentType.name}.${info.fieldName}`) ?? [];
    const from = parent.office !== undefined && resolving.includes(parent.office) ? parent.office : resolving[0];
    if (from === office) throw new Error(`The ${office} subgraph is down.`);
    return attribute(parent.value[String(info.path.key)], from);
  };
  return Promise.resolve(
    execute({
      schema: buildSchema(schemas.apiSdl),
      document: parse(operation.document),
      rootValue: { value: fullData, office: undefined } satisfies Attributed,
      variableValues: operation.variables ?? {},
      fieldResolver,
    }),
  );
}

/**
 * Where an error's null landed in `data`: the shortest prefix of its path whose value is null (the
 * nearest nullable position above the lost field), or undefined when the error nulled nothing.
 */
export function nulledAt(data: unknown, path: readonly (string | number)[]): string | undefined {
  let value = data;
  for (let length = 0; length <= path.length; length += 1) {
    if (value === null) return JSON.stringify(path.slice(0, length));
    if (length === path.length || value === undefined || typeof value !== 'object') return undefined;
    value = (value as Record<string | number, unknown>)[path[length]!];
  }
  return undefined;
}
