import type { Experimental_DidResolveQueryPlanCallback } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { prettyFormatQueryPlan, type FetchNode, type PlanNode, type SubscriptionNode } from '@apollo/query-planner';
import type { GatewayContext } from '../context.js';
import { mayAccess, type AccessMode, type AnalystCheck } from './explorerAccess.js';
import type { SubgraphRequestHook } from '../execution/subgraphDataSource.js';

type QueryPlan = Parameters<Experimental_DidResolveQueryPlanCallback>[0]['queryPlan'];

/** The request header that asks for the plan (`query-plan: include`); the request extension `queryPlan: true` does too. */
export const QUERY_PLAN_HEADER = 'query-plan';

/** One fetch of the plan. Fetches with the same stage run in parallel; a stage starts when the one before ends. */
export interface PlanFetch {
  stage: number;
  subgraph: string;
  /** Where the fetch's results go in the response, e.g. `partner.agreements.nodes.@`; empty for root fields. */
  path: string;
  /** An `_entities` fetch: it resolves, in one batch, the entities an earlier stage returned. */
  entities: boolean;
  entityTypes: string[];
}

/** One request the gateway actually sent to a subgraph for this operation, in the order sent. */
export interface SubgraphCall {
  subgraph: string;
  /** The size of the entity batch (the representations sent); absent for a root query. */
  representations?: number;
  entityTypes?: string[];
}

/**
 * The plan's shape, for plans that are more than steps of fetches: a subscription (the fetch that
 * subscribes to the owning office, then what runs for each event) and a defer (what is answered
 * first, then each deferred part with its own steps). Stages start at 1 in each part.
 */
export type PlanOutline =
  | { kind: 'Steps'; fetches: PlanFetch[] }
  | { kind: 'Subscription'; primary: PlanFetch; rest?: PlanOutline }
  | { kind: 'Defer'; primary?: PlanOutline; deferred: DeferredPartOutline[] };

/** One deferred part of a Defer node. */
export interface DeferredPartOutline {
  /** The `@defer(label:)`, when the operation gave one. */
  label?: string;
  /** Where the part's data goes, e.g. `partner.agreements.nodes`; empty at the root. */
  path: string;
  /** The subgraphs whose answers the part waits for (the fetches it depends on). */
  after: string[];
  /** What runs for the part; absent when it needs no fetch of its own. */
  then?: PlanOutline;
}

/** What `extensions.queryPlan` holds. */
export interface QueryPlanReport {
  /** The plan as Apollo's query planner prints it. */
  text: string;
  /** Subgraphs in the order the plan first calls them. */
  subgraphs: string[];
  /** Every fetch, its stage counted over the whole plan. */
  fetches: PlanFetch[];
  outline: PlanOutline;
  calls: SubgraphCall[];
}

/** Walks the plan tree, numbering stages: a Sequence advances them, a Parallel shares them. */
export function summarisePlan(plan: QueryPlan): PlanFetch[] {
  const fetches: PlanFetch[] = [];
  // Returns the stage after the node's last fetch.
  const walk = (node: PlanNode | SubscriptionNode | undefined, stage: number, path: string): number => {
    if (!node) return stage;
    switch (node.kind) {
      case 'Fetch': {
        const entityTypes = [
          ...new Set(
            (node.requires ?? []).flatMap((selection) =>
              selection.kind === 'InlineFragment' && selection.typeCondition ? [selection.typeCondition] : [],
            ),
          ),
        ];
        fetches.push({ stage, subgraph: node.serviceName, path, entities: node.requires !== undefined, entityTypes });
        return stage + 1;
      }
      case 'Flatten':
        return walk(node.node, stage, node.path.join('.'));
      case 'Sequence':
        return node.nodes.reduce((next, child) => walk(child, next, path), stage);
      case 'Parallel':
        return Math.max(stage, ...node.nodes.map((child) => walk(child, stage, path)));
      case 'Condition':
        return Math.max(walk(node.ifClause, stage, path), walk(node.elseClause, stage, path));
      case 'Defer': {
        const afterPrimary = walk(node.primary.node, stage, path);
        return Math.max(afterPrimary, ...node.deferred.map((deferred) => walk(deferred.node, afterPrimary, path)));
      }
      case 'Subscription':
        return walk(node.rest, walk(node.primary, stage, path), path);
    }
  };
  walk(plan.node, 1, '');
  return fetches;
}

/** The plan's outline: Subscription and Defer nodes kept as parts, everything else as numbered steps. */
export function outlinePlan(plan: QueryPlan): PlanOutline {
  const subgraphOfFetch = new Map<string, string>();
  const collect = (node: PlanNode | SubscriptionNode | undefined): void => {
    if (!node) return;
    switch (node.kind) {
      case 'Fetch':
        if (node.id !== undefined) subgraphOfFetch.set(node.id, node.serviceName);
        return;
      case 'Flatten':
        return collect(node.node);
      case 'Sequence':
      case 'Parallel':
        return node.nodes.forEach(collect);
      case 'Condition':
        return [node.ifClause, node.elseClause].forEach(collect);
      case 'Defer':
        return [node.primary.node, ...node.deferred.map((deferred) => deferred.node)].forEach(collect);
      case 'Subscription':
        return [node.primary, node.rest].forEach(collect);
    }
  };
  collect(plan.node);

  const steps = (node: PlanNode | SubscriptionNode | undefined): PlanOutline => ({
    kind: 'Steps',
    fetches: summarisePlan({ kind: 'QueryPlan', ...(node ? { node } : {}) }),
  });
  const outline = (node: PlanNode | SubscriptionNode | undefined): PlanOutline => {
    if (node?.kind === 'Subscription') {
      const [primary] = summarisePlan({ kind: 'QueryPlan', node: node.primary });
      return { kind: 'Subscription', primary: primary!, ...(node.rest ? { rest: outline(node.rest) } : {}) };
    }
    if (node?.kind !== 'Defer') return steps(node);
    return {
      kind: 'Defer',
      ...(node.primary.node ? { primary: outline(node.primary.node) } : {}),
      deferred: node.deferred.map((deferred) => ({
        ...(deferred.label !== undefined ? { label: deferred.label } : {}),
        path: deferred.queryPath.join('.'),
        after: [...new Set(deferred.depends.map((dependency) => subgraphOfFetch.get(dependency.id) ?? dependency.id))],
        ...(deferred.node ? { then: outline(deferred.node) } : {}),
      })),
    };
  };
  return outline(plan.node);
}

export function reportPlan(plan: QueryPlan, calls: SubgraphCall[]): QueryPlanReport {
  const fetches = summarisePlan(plan);
  const subgraphs = [...new Set([...fetches].sort((a, b) => a.stage - b.stage).map((fetch) => fetch.subgraph))];
  return { text: prettyFormatQueryPlan(plan), subgraphs, fetches, outline: outlinePlan(plan), calls };
}

interface PlanRequest {
  plan?: QueryPlan;
  calls: SubgraphCall[];
}

export interface QueryPlanExposureOptions {
  mode: AccessMode;
  isAnalyst: AnalystCheck;
}

export interface QueryPlanExposure {
  /** For `ApolloGateway`'s `experimental_didResolveQueryPlan`. */
  didResolveQueryPlan: Experimental_DidResolveQueryPlanCallback;
  /** Records each subgraph request (its entity batch) of an operation whose plan was asked for. */
  subgraphRequestHook: SubgraphRequestHook;
  /** Adds `extensions.queryPlan` to the response when the caller asked and may see it. */
  plugin: ApolloServerPlugin<GatewayContext>;
  /**
   * A subscription's plan (its Subscription node: `primary`, then `rest` for each event), for the
   * transport to send with the first event; undefined unless the subscription's request asked for
   * it and may see it, as the plugin decided for that request. `context` is the request's context
   * as Apollo's plugins saw it (Apollo Server hands them a copy of the one it was given).
   */
  subscriptionPlan: (
    context: GatewayContext,
    primary: FetchNode,
    rest: PlanNode | undefined,
  ) => QueryPlanReport | undefined;
}

/**
 * Exposes the query plan of an operation to callers who ask for it (header `query-plan: include` or
 * the request extension `queryPlan: true`) and may see it (`QUERY_PLANS`: on in development, for
 * analysts in production). Nothing is recorded for other requests, so the default costs nothing.
 * Apollo's own `__exposeQueryPlanExperimental` header must stay off: it answers anyone who asks.
 */
export function queryPlanExposure(options: QueryPlanExposureOptions): QueryPlanExposure {
  const requests = new WeakMap<object, PlanRequest>();
  return {
    didResolveQueryPlan({ queryPlan, requestContext }) {
      const request = requests.get(requestContext.context);
      if (request) request.plan = queryPlan;
    },
    subgraphRequestHook(subgraph, processOptions) {
      const request = requests.get(processOptions.context);
      if (!request) return;
      const representations: unknown = processOptions.request.variables?.representations;
      if (!Array.isArray(representations)) return void request.calls.push({ subgraph });
      const entityTypes = [
        ...new Set(
          representations.flatMap((representation: unknown) => {
            const typename = (representation as { __typename?: unknown } | null)?.__typename;
            return typeof typename === 'string' ? [typename] : [];
          }),
        ),
      ];
      request.calls.push({ subgraph, representations: representations.length, entityTypes });
    },
    plugin: {
      async requestDidStart({ request, contextValue }) {
        const header = request.http?.headers.get(QUERY_PLAN_HEADER)?.trim().toLowerCase();
        const asked =
          header === 'include' || header === 'true' || header === '1' || request.extensions?.queryPlan === true;
        if (!asked || !(await mayAccess(options.mode, contextValue, options.isAnalyst))) return;
        const planRequest: PlanRequest = { calls: [] };
        requests.set(contextValue, planRequest);
        return {
          async willSendResponse({ response }) {
            if (!planRequest.plan) return;
            // A deferred operation's plan goes with its initial payload (defer/incrementalDelivery.ts).
            const result = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
            result.extensions = { ...result.extensions, queryPlan: reportPlan(planRequest.plan, planRequest.calls) };
          },
        };
      },
    },
    subscriptionPlan(context, primary, rest) {
      if (!requests.has(context)) return undefined;
      return reportPlan({ kind: 'QueryPlan', node: { kind: 'Subscription', primary, ...(rest ? { rest } : {}) } }, []);
    },
  };
}
