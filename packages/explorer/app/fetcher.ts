import type { GraphiQLProps } from 'graphiql';
import { lastRun, type QueryPlanReport, type SubgraphErrorSummary } from './lastRun';

type Fetcher = GraphiQLProps['fetcher'];

/** The request header that asks the gateway for the operation's query plan (gateway/src/explorer/queryPlans.ts). */
export const QUERY_PLAN_HEADER = 'query-plan';

interface GraphQLResult {
  data?: unknown;
  errors?: { message?: unknown; extensions?: { subgraph?: unknown; code?: unknown } }[];
  extensions?: { queryPlan?: QueryPlanReport; [key: string]: unknown };
}

/**
 * Posts to the gateway's own `/graphql`, asks for the query plan, and moves the plan out of the
 * response into the plan panel (the response pane shows what the graph answered). An
 * `Authorization: Bearer ` header with no token after it is dropped, so the prefilled header editor
 * sends nothing until an analyst pastes a token.
 */
export function createExplorerFetcher(endpoint: string): Fetcher {
  return async (params, options) => {
    const headers: Record<string, string> = {
      accept: 'application/graphql-response+json, application/json',
      'content-type': 'application/json',
    };
    for (const [name, value] of Object.entries(options?.headers ?? {})) {
      const text = String(value).trim();
      if (name.toLowerCase() === 'authorization' && /^bearer$/i.test(text)) continue;
      if (text !== '') headers[name] = text;
    }
    const introspection = params.operationName === 'IntrospectionQuery';
    if (!introspection) headers[QUERY_PLAN_HEADER] = 'include';

    const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(params) });
    const result = (await response.json()) as GraphQLResult;
    if (introspection) return result as Awaited<ReturnType<Fetcher>>;

    const { queryPlan, ...otherExtensions } = result.extensions ?? {};
    const shown: GraphQLResult = { ...result };
    if (Object.keys(otherExtensions).length > 0) shown.extensions = otherExtensions;
    else delete shown.extensions;
    lastRun.set({
      ...(params.operationName ? { operationName: params.operationName } : {}),
      ...(queryPlan
        ? { plan: queryPlan }
        : {
            planUnavailable:
              'The gateway sent no query plan: plans are shown in development mode, or to analysts in production.',
          }),
      errors: subgraphErrors(result),
    });
    return shown as Awaited<ReturnType<Fetcher>>;
  };
}

function subgraphErrors(result: GraphQLResult): SubgraphErrorSummary[] {
  const summaries: SubgraphErrorSummary[] = [];
  for (const error of result.errors ?? []) {
    const subgraph = error.extensions?.subgraph;
    if (typeof subgraph !== 'string') continue;
    const code = error.extensions?.code;
    summaries.push({
      subgraph,
      message: String(error.message),
      ...(typeof code === 'string' ? { code } : {}),
    });
  }
  return summaries;
}
