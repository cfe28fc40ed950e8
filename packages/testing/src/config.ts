import { ConfigError } from '@cip/core';

/** The problems a config parse refuses with, one per line of its ConfigError; fails if it does not refuse. */
export function configProblems(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused with a ConfigError');
}

/**
 * The gateway settings a lab (our gateway over purpose-built offices) starts from, before its own:
 * the lab's supergraph file, read once.
 */
export function labGatewayEnv(supergraphPath: string): Record<string, string> {
  return {
    NODE_ENV: 'test',
    SUPERGRAPH_PATH: supergraphPath,
    SUPERGRAPH_WATCH: 'false',
    // A lab's operations are not in the graph's trusted-document manifest.
    TRUSTED_DOCUMENTS: 'off',
    // Test traffic is no client's use: kept out of the checkout's usage file.
    USAGE_RECORDING: 'off',
  };
}
