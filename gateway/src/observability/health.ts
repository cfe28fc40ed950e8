import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '@cip/core';
import { Kind, parse, type ConstValueNode } from 'graphql';
import type { BreakerState } from '../resilience/circuitBreaker.js';

export interface ReadinessSources {
  /** Whether a supergraph is loaded and serving. */
  supergraphLoaded(): boolean;
  /** Each subgraph of the served supergraph, by name, with the URL the gateway sends it requests at. */
  subgraphs(): ReadonlyMap<string, string>;
  breakerStates(): Record<string, BreakerState>;
  probeTimeoutMs: number;
}

export interface SubgraphReadiness {
  status: 'up' | 'down';
  breaker: BreakerState;
  /** Why it is down: the HTTP status or the failure. */
  detail?: string;
}

/**
 * The subgraph names a supergraph joins (`enum join__Graph { X @join__graph(name: "x", …) }`). The
 * gateway builds a data source only for subgraphs it meets, so after a reload this says which of
 * the routes it remembers are still served.
 */
export function joinedSubgraphNames(supergraphSdl: string): Set<string> {
  const names = new Set<string>();
  for (const definition of parse(supergraphSdl, { noLocation: true }).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const joinGraph = value.directives?.find((directive) => directive.name.value === 'join__graph');
      const name: ConstValueNode | undefined = joinGraph?.arguments?.find((arg) => arg.name.value === 'name')?.value;
      if (name?.kind === Kind.STRING) names.add(name.value);
    }
  }
  return names;
}

/** A subgraph's `/ready` sits beside its GraphQL endpoint (`…/graphql` → `…/ready`). */
export function readinessUrl(graphqlUrl: string): string {
  return new URL('ready', graphqlUrl).toString();
}

async function probe(graphqlUrl: string, timeoutMs: number): Promise<{ up: boolean; detail?: string }> {
  try {
    const response = await fetch(readinessUrl(graphqlUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok ? { up: true } : { up: false, detail: `HTTP ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    return { up: false, detail: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'unreachable' };
  }
}

/** `GET /health`: liveness. The process answers; nothing else is checked, so a restart is never caused by an office. */
export function healthRoute() {
  return (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, { status: 'ok' });
}

/**
 * `GET /ready`: 200 when the supergraph is loaded and every subgraph answers its `/ready` probe
 * (sent now, to all subgraphs at once, each within `probeTimeoutMs`); 503 otherwise. The body has
 * each subgraph's status and circuit breaker state, so an operator sees which office is down.
 */
export function readyRoute(sources: ReadinessSources) {
  return async (_req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const breakers = sources.breakerStates();
    const entries = await Promise.all(
      [...sources.subgraphs()].map(async ([name, url]): Promise<[string, SubgraphReadiness]> => {
        const result = await probe(url, sources.probeTimeoutMs);
        return [
          name,
          {
            status: result.up ? 'up' : 'down',
            breaker: breakers[name] ?? 'closed',
            ...(result.detail ? { detail: result.detail } : {}),
          },
        ];
      }),
    );
    const subgraphs = Object.fromEntries(entries);
    const loaded = sources.supergraphLoaded();
    const ready = loaded && entries.every(([, readiness]) => readiness.status === 'up');
    sendJson(res, ready ? 200 : 503, {
      status: ready ? 'ready' : 'not ready',
      supergraph: loaded ? 'loaded' : 'not loaded',
      subgraphs,
    });
  };
}
