import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { HttpError, sendError, type RequestHandler } from '@cip/core';
import type { GatewayContext } from '../context.js';
import { mayAccess, type AccessMode, type AnalystCheck } from './explorerAccess.js';

const gzipAsync = promisify(gzip);

/**
 * The page may load and talk to the gateway's own origin only. Monaco sets inline styles, hence
 * 'unsafe-inline' for styles (never for scripts); its workers are files from the same origin.
 */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.ttf']);

export interface ExplorerOptions {
  mode: AccessMode;
  /** The Vite build of @cip/explorer (index.html and assets/); undefined: the package's own `dist/`. */
  distDir: string | undefined;
  /** Builds the request's context, so the analyst check sees what the security concern found. */
  context: (req: IncomingMessage) => Promise<GatewayContext>;
  isAnalyst: AnalystCheck;
}

export interface Explorer {
  /** `/` and one route per built file (exact paths: nothing outside the build can be asked for). */
  routes: Record<string, RequestHandler>;
  /** Serves the explorer for `GET /graphql` from a browser (Accept: text/html, no `query`); else the GraphQL handler. */
  negotiate(graphql: RequestHandler): RequestHandler;
}

/** Where `npm run build` puts the explorer: the `dist/` folder of the @cip/explorer package. */
export function defaultExplorerDistDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@cip/explorer/package.json')), 'dist');
}

interface StaticFile {
  body: Buffer;
  gzipped?: Buffer;
  contentType: string;
  cacheControl: string;
}

async function listBuild(distDir: string): Promise<string[] | undefined> {
  try {
    const entries = await readdir(distDir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(distDir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** True for a browser navigation: it asks for HTML and carries no GraphQL operation in the URL. */
export function wantsHtml(req: IncomingMessage): boolean {
  if ((req.method ?? 'GET').toUpperCase() !== 'GET') return false;
  const accept = req.headers.accept ?? '';
  if (!/\btext\/html\b/i.test(accept)) return false;
  const search = new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
  return !search.has('query') && !search.has('extensions');
}

export async function createExplorer(options: ExplorerOptions): Promise<Explorer> {
  if (options.mode === 'off') return { routes: {}, negotiate: (graphql) => graphql };

  // Resolved only when the explorer is on: a gateway deployed with EXPLORER=off needs no build.
  const distDir = resolve(options.distDir ?? defaultExplorerDistDir());
  const files = await listBuild(distDir);
  // The analysts' build is the same for everyone, but in `analysts` mode shared caches must not
  // hand it to someone the gateway would refuse.
  const visibility = options.mode === 'analysts' ? 'private' : 'public';
  const loaded = new Map<string, Promise<StaticFile>>();
  const load = (path: string): Promise<StaticFile> => {
    let file = loaded.get(path);
    if (!file) {
      file = readFile(join(distDir, path)).then((body) => ({
        body,
        contentType: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        // Vite puts a content hash in every name under assets/, so those never change; the page
        // itself is revalidated so a new build is picked up at once.
        cacheControl: path.startsWith('assets/')
          ? `${visibility}, max-age=31536000, immutable`
          : `${visibility}, no-cache`,
      }));
      file.catch(() => loaded.delete(path));
      loaded.set(path, file);
    }
    return file;
  };

  const serve =
    (path: string): RequestHandler =>
    async (req, res) => {
      const method = (req.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        return sendError(res, new HttpError('METHOD_NOT_ALLOWED', `${method} is not allowed here; use GET.`));
      }
      if (!(await mayAccess(options.mode, await options.context(req), options.isAnalyst))) {
        return sendError(
          res,
          new HttpError('EXPLORER_FORBIDDEN', 'The explorer is restricted to analysts: send an analyst bearer token.'),
        );
      }
      if (!files) {
        return sendError(
          res,
          new HttpError('EXPLORER_NOT_BUILT', 'The explorer has not been built: run `npm run build` (or `npm start`).'),
        );
      }
      await send(req, res, await load(path), extname(path));
    };

  const routes: Record<string, RequestHandler> = { '/': serve('index.html') };
  for (const path of files ?? []) if (path !== 'index.html') routes[`/${path}`] = serve(path);
  const page = routes['/']!;

  return {
    routes,
    negotiate: (graphql) => (req, res) => (wantsHtml(req) ? page(req, res) : graphql(req, res)),
  };

  async function send(req: IncomingMessage, res: ServerResponse, file: StaticFile, extension: string): Promise<void> {
    const acceptsGzip = /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? ''));
    let body = file.body;
    if (acceptsGzip && COMPRESSIBLE.has(extension)) {
      file.gzipped ??= await gzipAsync(file.body);
      body = file.gzipped;
      res.setHeader('content-encoding', 'gzip');
    }
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': body.length,
      'cache-control': file.cacheControl,
      vary: 'accept, accept-encoding',
      'content-security-policy': EXPLORER_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
    });
    res.end((req.method ?? 'GET').toUpperCase() === 'HEAD' ? undefined : body);
  }
}
