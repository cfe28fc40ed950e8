import { defineSection, envDocs, envVar } from '@cip/core';
import { SUPERGRAPH_FILE } from '@cip/schema';
import { z } from 'zod';

/** How the served supergraph is kept current in `file` mode (from the file or a URL). */
export interface SupergraphReload {
  /** Re-read the supergraph every `pollMs` and apply it when it changed. */
  readonly watch: boolean;
  readonly pollMs: number;
}

/** Where the served supergraph comes from: one origin, so no variable of another can be ignored. */
export type SupergraphOrigin =
  /** The committed, composed file (what CI checked is what runs). */
  | ({ readonly kind: 'file'; readonly path: string } & SupergraphReload)
  /** The one a deploy publishes at a URL. */
  | ({ readonly kind: 'url'; readonly url: string } & SupergraphReload)
  /** Composed from the running subgraphs (development), each one's last good SDL kept in `sdlCacheDir`. */
  | { readonly kind: 'introspect'; readonly sdlCacheDir: string | undefined };

/** The supergraph concern's options: the supergraph served, and where its subgraphs are. */
export interface SupergraphSettings {
  readonly origin: SupergraphOrigin;
  /** Where to reach subgraphs when not at the supergraph's routing URLs, by name. */
  readonly subgraphUrls: Readonly<Record<string, string>>;
}

/** `name=url,name=url`: where to reach subgraphs when not at the supergraph's routing URLs. */
const subgraphUrls = envVar.namedValues('name=url', (url) => (URL.canParse(url) ? url : undefined)).default({});

const FILE_MODE_ONLY = 'introspect mode composes from the running subgraphs and reads no supergraph';

export const supergraphSection = defineSection({
  shape: {
    SUPERGRAPH_SOURCE: z.enum(['file', 'introspect']).default('file').register(envDocs, {
      description:
        '`file` serves a composed supergraph; `introspect` composes from the running subgraphs (development)',
    }),
    SUPERGRAPH_PATH: z.string().min(1).default(SUPERGRAPH_FILE).register(envDocs, {
      description: 'the supergraph file served in `file` mode',
      shownDefault: 'schema/supergraph.graphql',
    }),
    SUPERGRAPH_URL: envVar.url().optional().register(envDocs, {
      description: '`file` mode: read (and poll) the supergraph at this URL instead of SUPERGRAPH_PATH',
      secret: 'url',
    }),
    SUPERGRAPH_WATCH: envVar.flag(true).register(envDocs, {
      description: '`file` mode: re-read the supergraph when it changes (checked every SUPERGRAPH_POLL_MS)',
    }),
    SUPERGRAPH_POLL_MS: envVar.positiveInt(2_000).register(envDocs, {
      description: '`file` mode with SUPERGRAPH_WATCH: how often the supergraph is checked',
    }),
    SDL_CACHE_DIR: z.string().min(1).optional().register(envDocs, {
      description: "`introspect` mode: where each subgraph's last good SDL is kept",
      shownDefault: '<os tmp>/cip-gateway-sdl',
    }),
    SUBGRAPH_URLS: subgraphUrls.register(envDocs, {
      description: '`name=url,name=url`: where to reach subgraphs instead of their routing URLs',
      shownDefault: "the supergraph's routing URLs",
    }),
  },
  rules: (rule) => [
    rule.onlyWhen(
      ['SUPERGRAPH_PATH', 'SUPERGRAPH_URL', 'SUPERGRAPH_WATCH', 'SUPERGRAPH_POLL_MS'],
      'SUPERGRAPH_SOURCE',
      ['file'],
      FILE_MODE_ONLY,
    ),
    rule.onlyWhen(['SDL_CACHE_DIR'], 'SUPERGRAPH_SOURCE', ['introspect'], 'only introspect mode keeps SDLs'),
    // The URL used to win over the path without a word.
    rule.oneOf(['SUPERGRAPH_URL', 'SUPERGRAPH_PATH'], 'the supergraph is read from a URL or from a file, not both'),
    rule.onlyWhen(
      ['SUPERGRAPH_POLL_MS'],
      'SUPERGRAPH_WATCH',
      [true],
      'without watching, the supergraph is read once, at start',
    ),
  ],
  build: (values): SupergraphSettings => {
    const reload = { watch: values.SUPERGRAPH_WATCH, pollMs: values.SUPERGRAPH_POLL_MS };
    return {
      origin:
        values.SUPERGRAPH_SOURCE === 'introspect'
          ? { kind: 'introspect', sdlCacheDir: values.SDL_CACHE_DIR }
          : values.SUPERGRAPH_URL
            ? { kind: 'url', url: values.SUPERGRAPH_URL, ...reload }
            : { kind: 'file', path: values.SUPERGRAPH_PATH, ...reload },
      subgraphUrls: values.SUBGRAPH_URLS,
    };
  },
});
