import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildDeferSupport } from '@cip/gateway';
import { installFastExecutor, type PlanExecutorStats } from '@cip/plan-executor';
import {
  DEFER_ACCEPT,
  deferredVariants,
  reassemble,
  withoutDefer,
  type IncrementalPayload,
} from '@cip/testing/incremental';
import {
  canonicalResponse,
  fleetExamples,
  startFleet,
  type FleetSystem,
  type Variant,
} from '@cip/testing/plan-executor';
import { print } from 'graphql';

/**
 * @defer over the purpose-built supergraph (@cip/testing's fleet: @requires, @provides,
 * @interfaceObject, interfaces and unions across subgraphs, errors at every depth): each field with
 * a selection set of each example deferred in turn, streamed and reassembled, equals the answer
 * without @defer; merged into one response (no multipart accepted), it is that answer byte for byte.
 */

const silent = pino({ level: 'silent' });
let fleet: FleetSystem;
let server: ApolloServer;
let stats: PlanExecutorStats;

beforeAll(async () => {
  fleet = await startFleet();
  const defer = buildDeferSupport(true, {
    formatError: (formatted) => formatted,
    includeStacktraceInErrorResponses: false,
  });
  const gateway = new ApolloGateway({
    supergraphSdl: fleet.supergraphSdl,
    logger: silent,
    ...(defer.queryPlannerConfig ? { queryPlannerConfig: defer.queryPlannerConfig } : {}),
  });
  defer.declareDirective(gateway);
  server = new ApolloServer({
    gateway,
    logger: silent,
    includeStacktraceInErrorResponses: false,
    // The gateway's plugins take its context; these read nothing of it that an in-process request lacks.
    plugins: defer.withSubsequentPayloadHooks(defer.plugins) as ApolloServerPlugin[],
  });
  stats = installFastExecutor(
    gateway,
    defer.incrementalDelivery ? { incrementalDelivery: defer.incrementalDelivery } : {},
  );
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await fleet?.stop();
}, 60_000);

async function single(variant: Variant): Promise<string> {
  const response = await server.executeOperation({
    query: variant.query,
    ...(variant.variables ? { variables: variant.variables } : {}),
  });
  if (response.body.kind !== 'single') throw new Error(`${variant.label}: expected a single result`);
  return canonicalResponse(response.body.singleResult);
}

async function streamed(variant: Variant): Promise<IncrementalPayload[]> {
  const response = await server.executeOperation({
    query: variant.query,
    ...(variant.variables ? { variables: variant.variables } : {}),
    http: { method: 'POST', headers: new HeaderMap([['accept', DEFER_ACCEPT]]), search: '', body: {} },
  });
  // One response where the planner cannot plan the defers (answered as without them).
  if (response.body.kind === 'single') return [response.body.singleResult as IncrementalPayload];
  const payloads: IncrementalPayload[] = [response.body.initialResult as IncrementalPayload];
  for await (const payload of response.body.subsequentResults) payloads.push(payload as IncrementalPayload);
  return payloads;
}

const sortErrors = (errors: unknown[] | undefined) => (errors ?? []).map((error) => JSON.stringify(error)).sort();

describe('@defer over the fleet supergraph', () => {
  // Each example with its defaults and with each of its other variables.
  const examples: Variant[] = fleetExamples.flatMap((example) =>
    [undefined, ...(example.alternateVariables ?? [])].map((variables, index) => ({
      label: `${example.name} #${index}`,
      query: print(example.document),
      ...(variables ? { variables } : {}),
    })),
  );
  const variants = examples.flatMap((example) => deferredVariants(example));

  test(`${variants.length} deferred variants: reassembled, and merged into one response, the answer without @defer`, async () => {
    expect(variants.length).toBeGreaterThan(60);
    const fastBefore = stats.fast;
    let exact = 0;
    let incremental = 0;
    for (const variant of variants) {
      const expected = await single({ ...variant, query: withoutDefer(variant.query) });
      const answer = JSON.parse(expected) as {
        data?: unknown;
        errors?: { path?: unknown[] }[];
        extensions?: { valueCompletion?: { path?: unknown[] }[] };
      };
      expect(await single(variant), `${variant.label} (merged)`).toBe(expected);
      const payloads = await streamed(variant);
      if (payloads.length > 1) incremental++;
      const nulled = payloads.flatMap((payload) => (payload.incremental ?? []).filter((item) => item.data === null));
      if (nulled.length > 0) {
        // A non-null violation inside a deferred fragment nulls the fragment's part, not its
        // parents (the initial payload is sent): that is where the answers may differ, and only
        // where the answer without @defer failed too (its error paths are those stock gives an
        // entity batch's errors, which need not be under the part's path).
        const failures = [...(answer.errors ?? []), ...(answer.extensions?.valueCompletion ?? [])];
        expect(failures.length, `${variant.label}: a part nulled without a failure`).toBeGreaterThan(0);
        continue;
      }
      const reassembled = reassemble(payloads);
      expect(reassembled.data, variant.label).toEqual(answer.data);
      expect(sortErrors(reassembled.errors), variant.label).toEqual(sortErrors(answer.errors));
      exact++;
    }
    expect(exact).toBeGreaterThan(variants.length * 0.8);
    expect(incremental).toBeGreaterThan(variants.length * 0.8);
    // Every deferred request on our executor (three per variant: merged, streamed, and its baseline).
    expect(stats.fast - fastBefore).toBe(variants.length * 3);
  }, 600_000);
});
