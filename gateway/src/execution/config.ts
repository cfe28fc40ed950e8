import { defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';
import type { SubgraphClientOptions } from './subgraphClient.js';

/** The execution concern's options: which executor runs query plans, and the connections to subgraphs. */
export interface ExecutionSettings {
  /**
   * `fast` runs query plans with our executor (@cip/plan-executor), which hands what it does not
   * cover to stock; `stock` with @apollo/gateway's own, the way back if ours ever answers differently.
   */
  readonly planExecutor: 'stock' | 'fast';
  readonly client: SubgraphClientOptions;
  /**
   * In-flight deduplication: a subgraph query identical to one in flight (same office, body, caller's
   * claims and propagated headers) shares its call. Never a mutation or a mutation's `_entities` fetches.
   */
  readonly shareInFlightQueries: boolean;
}

export const executionSection = defineSection({
  shape: {
    PLAN_EXECUTOR: z.enum(['stock', 'fast']).default('fast').register(envDocs, {
      description: "`fast`: our plan executor (stock for what it does not cover); `stock`: @apollo/gateway's own",
    }),
    SUBGRAPH_CONNECTIONS: envVar.positiveInt(32).register(envDocs, {
      description: 'keep-alive connections the gateway may hold open to each subgraph',
    }),
    SUBGRAPH_KEEP_ALIVE_MS: envVar.positiveInt(30_000).register(envDocs, {
      description: 'idle time before a subgraph connection closes',
    }),
    SUBGRAPH_DEDUP: z.enum(['on', 'off']).default('on').register(envDocs, {
      description:
        "`on`: identical subgraph queries in flight at once (same office, body, caller's claims and propagated headers) share one call; never mutations",
    }),
  },
  build: (values): ExecutionSettings => ({
    planExecutor: values.PLAN_EXECUTOR,
    shareInFlightQueries: values.SUBGRAPH_DEDUP === 'on',
    client: { connections: values.SUBGRAPH_CONNECTIONS, keepAliveMs: values.SUBGRAPH_KEEP_ALIVE_MS },
  }),
});
