import { describeVariables } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { parseStackConfig, stackSections } from './stack.js';

describe('stack config', () => {
  it("runs with no environment at all: the gateway's sections, quiet logs, the offices on their ports", () => {
    const config = parseStackConfig({});
    expect(config.server).toMatchObject({ port: 4000, logLevel: 'warn', mode: 'development' });
    expect(config.stack).toEqual({ subgraphPortsAny: false, pgliteDataDir: 'memory://' });
    expect(config.supergraph.origin.kind).toBe('file');
  });

  it("refuses the gateway's invalid mixes too, in one message named for the stack", () => {
    const problems = configProblems(() =>
      parseStackConfig({
        SUBGRAPH_PORTS_ANY: 'maybe',
        SUPERGRAPH_SOURCE: 'introspect',
        SUPERGRAPH_PATH: 'x.graphql',
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^SUBGRAPH_PORTS_ANY="maybe": /),
      expect.stringMatching(/^SUPERGRAPH_PATH: has no effect with SUPERGRAPH_SOURCE=introspect/),
    ]);
  });

  it('lists every variable it reads for --help, each once', () => {
    const names = describeVariables(stackSections).map((variable) => variable.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'SUBGRAPH_PORTS_ANY', 'PGLITE_DATA_DIR', 'AUTH_JWKS_FILE']));
  });
});
