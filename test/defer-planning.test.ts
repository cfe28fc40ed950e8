import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, serializeQueryPlan } from '@apollo/query-planner';
import { buildSchema, parse } from 'graphql';
import { describe, expect, test } from 'vitest';
import { buildDeferSupport } from '@cip/gateway';
import { composeFleet, fleetApiSchema, fleetExamples, generateVariants } from '@cip/testing/plan-executor';
import { SUPERGRAPH_FILE } from '@cip/schema';
import { clientOperations } from '@cip/testing/example-operations';

/**
 * Turning on the planner's Defer nodes (`incrementalDelivery.enableDefer`, defer/deferPlanning.ts)
 * changes nothing for an operation without @defer: every generated variant of the example
 * operations, over our supergraph and the fleet's, gets the same plan with the option as without.
 */

const root = join(import.meta.dirname, '..');
const config = buildDeferSupport(true, { formatError: (error) => error, includeStacktraceInErrorResponses: false });

function plansBothWays(supergraphSdl: string, queries: readonly { label: string; query: string }[]): string[] {
  // Our supergraph's security links are for the gateway's own enforcement, not the planner's.
  const supergraph = Supergraph.build(supergraphSdl, { supportedFeatures: null });
  const apiSchema = supergraph.apiSchema();
  const withDefer = new QueryPlanner(supergraph, config.queryPlannerConfig);
  const without = new QueryPlanner(supergraph);
  const differing: string[] = [];
  for (const { label, query } of queries) {
    const operation = () => operationFromDocument(apiSchema, parse(query));
    const planned = (planner: QueryPlanner): string => {
      try {
        return serializeQueryPlan(planner.buildQueryPlan(operation()));
      } catch (error) {
        return `refused: ${(error as Error).message}`;
      }
    };
    if (planned(withDefer) !== planned(without)) differing.push(label);
  }
  return differing;
}

describe('enableDefer changes no plan of an operation without @defer', () => {
  test('our supergraph: every generated variant of test/operations', () => {
    const apiSchema = buildSchema(readFileSync(join(root, 'schema/api.graphql'), 'utf8'));
    const variants = generateVariants(apiSchema, clientOperations('query'));
    expect(variants.length).toBeGreaterThan(250);
    expect(plansBothWays(readFileSync(SUPERGRAPH_FILE, 'utf8'), variants)).toEqual([]);
  });

  test("the fleet's supergraph: every generated variant of its examples", () => {
    const variants = generateVariants(fleetApiSchema(), fleetExamples);
    expect(variants.length).toBeGreaterThan(300);
    // Routing URLs do not matter to plans: each subgraph's default `.invalid` one.
    const supergraphSdl = composeFleet({});
    expect(plansBothWays(supergraphSdl, variants)).toEqual([]);
  });
});
