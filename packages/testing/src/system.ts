import { pino } from 'pino';
import { startStack, type Stack } from '@cip/stack';

export interface GraphQLResponse<Data = Record<string, any>> {
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface RunningSystem extends Stack {
  /** POSTs an operation to the gateway and returns the parsed body (and the HTTP status). */
  query<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<Data> & { status: number }>;
}

/**
 * Starts the real system: four subgraphs and the gateway, each on a free loopback port, over one
 * fresh embedded store. `stop()` closes everything.
 */
export async function startSystem(env: Record<string, string> = {}): Promise<RunningSystem> {
  const stack = await startStack(
    // Test traffic is no client's use: kept out of the checkout's usage file unless a test records it.
    { NODE_ENV: 'test', PORT: '0', SUBGRAPH_PORTS_ANY: 'true', USAGE_RECORDING: 'off', ...env },
    pino({ level: 'silent' }),
  );
  return {
    ...stack,
    async query(query, variables) {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, ...((await response.json()) as GraphQLResponse<any>) };
    },
  };
}
