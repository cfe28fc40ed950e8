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
