import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * Fails the build if a stylesheet or the page would load anything from another origin (a web font
 * from a CDN, a remote `@import` or script): analysts' networks have no internet, and the gateway's
 * CSP would block it anyway, leaving a broken page.
 */
function noRemoteLoads(): Plugin {
  const remote = [
    /url\(\s*['"]?(https?:)?\/\//i,
    /@import\s+(url\()?\s*['"]?(https?:)?\/\//i,
    /<(script|link)[^>]+(src|href)=["']?(https?:)?\/\//i,
  ];
  return {
    name: 'cip-no-remote-loads',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== 'asset' || !/\.(css|html)$/.test(file.fileName)) continue;
        const text = typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source);
        const found = remote.find((pattern) => pattern.test(text));
        if (found) this.error(`${file.fileName} loads from another origin (${found.source}); bundle it instead.`);
      }
    },
  };
}

// Everything the explorer needs ends up in dist/: the app, GraphiQL, Monaco and its workers, the
// codicon font. The gateway serves that folder and nothing else, so the page works on a network
// with no internet.
export default defineConfig({
  plugins: [react(), noRemoteLoads()],
  // Relative URLs: the same build is served at `/` and at `/graphql` (Accept: text/html).
  base: './',
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // Monaco is most of the bundle and cannot be split further; the size is reported in docs/explorer.md.
    chunkSizeWarningLimit: 5_000,
    reportCompressedSize: false,
    rolldownOptions: {
      onwarn(warning, warn) {
        // GraphiQL's packages carry React Compiler directives ("use no memo") that bundling drops, harmlessly.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
