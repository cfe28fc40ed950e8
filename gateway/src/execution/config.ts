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
  },
  build: (values): ExecutionSettings => ({
    planExecutor: values.PLAN_EXECUTOR,
    client: { connections: values.SUBGRAPH_CONNECTIONS, keepAliveMs: values.SUBGRAPH_KEEP_ALIVE_MS },
  }),
});
