import { parseConfig, type Env } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { describe, expect, it } from 'vitest';
import { supergraphSection } from './config.js';

const parse = (env: Env) => parseConfig('gateway', { supergraph: supergraphSection }, env).supergraph;
const problems = (env: Env) => configProblems(() => parse(env));

describe('supergraph config', () => {
  it('serves the committed file by default, watched every 2 s', () => {
    expect(parse({}).origin).toEqual({
      kind: 'file',
      path: expect.stringMatching(/schema\/supergraph\.graphql$/),
      watch: true,
      pollMs: 2_000,
    });
  });

  it('reads a URL instead of the file when SUPERGRAPH_URL is set', () => {
    expect(
      parse({ SUPERGRAPH_URL: 'https://deploy.invalid/supergraph.graphql', SUPERGRAPH_WATCH: 'false' }).origin,
    ).toEqual({
      kind: 'url',
      url: 'https://deploy.invalid/supergraph.graphql',
      watch: false,
      pollMs: 2_000,
    });
  });

  it('composes from the running subgraphs in introspect mode, where SUBGRAPH_URLS are optional overrides', () => {
    const supergraph = parse({ SUPERGRAPH_SOURCE: 'introspect', SDL_CACHE_DIR: '/tmp/sdl' });
    expect(supergraph).toEqual({ origin: { kind: 'introspect', sdlCacheDir: '/tmp/sdl' }, subgraphUrls: {} });
  });

  it('refuses, in introspect mode, every file-mode variable it would ignore, all in one message', () => {
    expect(
      problems({
        SUPERGRAPH_SOURCE: 'introspect',
        SUPERGRAPH_PATH: 'other.graphql',
        SUPERGRAPH_URL: 'https://user:pa55@deploy.invalid/supergraph.graphql',
        SUPERGRAPH_WATCH: 'true',
        SUPERGRAPH_POLL_MS: '100',
      }),
    ).toEqual([
      ...['SUPERGRAPH_PATH', 'SUPERGRAPH_URL', 'SUPERGRAPH_WATCH', 'SUPERGRAPH_POLL_MS'].map(
        (name) =>
          `${name}: has no effect with SUPERGRAPH_SOURCE=introspect: introspect mode composes from the running subgraphs and reads no supergraph`,
      ),
      'SUPERGRAPH_PATH: cannot be set together with SUPERGRAPH_URL: the supergraph is read from a URL or from a file, not both',
    ]);
  });

  it('refuses SDL_CACHE_DIR in file mode, a path beside a URL, and a poll interval without watching', () => {
    expect(problems({ SDL_CACHE_DIR: '/tmp/sdl' })).toEqual([
      'SDL_CACHE_DIR: has no effect with SUPERGRAPH_SOURCE=file: only introspect mode keeps SDLs',
    ]);
    expect(problems({ SUPERGRAPH_URL: 'https://deploy.invalid/s.graphql', SUPERGRAPH_PATH: 's.graphql' })).toEqual([
      'SUPERGRAPH_PATH: cannot be set together with SUPERGRAPH_URL: the supergraph is read from a URL or from a file, not both',
    ]);
    expect(problems({ SUPERGRAPH_WATCH: 'false', SUPERGRAPH_POLL_MS: '100' })).toEqual([
      'SUPERGRAPH_POLL_MS: has no effect with SUPERGRAPH_WATCH=false: without watching, the supergraph is read once, at start',
    ]);
  });

  it('names a bad SUPERGRAPH_URL without showing it (it may carry credentials)', () => {
    const [problem] = problems({ SUPERGRAPH_URL: 'not a url with a pa55word' });
    expect(problem).toBe('SUPERGRAPH_URL: Invalid URL');
  });
});
