import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, type Dispatcher } from 'undici';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SubgraphClientOptions {
  /** Keep-alive connections per subgraph origin. */
  connections: number;
  keepAliveMs: number;
}

type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * The minimal Response the gateway's data source reads: status, headers, and the body as text or
 * JSON. `headers` (a WHATWG `Headers`) is built on first use only: our executor's fetches read the
 * one header they need with `header`, and so never build it.
 */
export class SubgraphResponse implements FetcherResponse {
  readonly redirected = false;
  bodyUsed = false;
  private builtHeaders: Headers | undefined;

  constructor(
    readonly url: string,
    readonly status: number,
    private readonly rawHeaders: RawHeaders,
    private readonly body: string,
  ) {}

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get statusText(): string {
    return String(this.status);
  }

  get headers(): Headers {
    if (!this.builtHeaders) {
      this.builtHeaders = new Headers();
      for (const [name, value] of Object.entries(this.rawHeaders)) {
        if (value !== undefined) this.builtHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
    }
    return this.builtHeaders;
  }

  /** One header as received (lower-case name), without building `headers`. */
  header(name: string): string | null {
    if (this.builtHeaders) return this.builtHeaders.get(name);
    const value = this.rawHeaders[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  async text(): Promise<string> {
    return this.textNow();
  }

  /** The body at once (it is read whole before the response is handed over). */
  textNow(): string {
    this.bodyUsed = true;
    return this.body;
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.textNow());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(this.textNow());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  clone(): SubgraphResponse {
    // A shared answer's copies must not see each other's header changes (inFlightSharing.ts): the
    // received headers are never changed, and each copy builds its own `headers`.
    const copy = new SubgraphResponse(this.url, this.status, this.rawHeaders, this.body);
    if (this.builtHeaders) copy.builtHeaders = new Headers(this.builtHeaders);
    return copy;
  }
}

/** A subgraph's response body ended before it was complete (socket closed mid-body). */
export class TruncatedResponseError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    cause: unknown,
  ) {
    super(`The response from ${url} (HTTP ${status}) ended before its body was complete.`, { cause });
    this.name = 'TruncatedResponseError';
  }
}

type FetchInit = NonNullable<Parameters<Fetcher>[1]>;

/** Where a subgraph URL points, as undici's `dispatch` takes it (parsed once per URL: a gateway has a handful). */
const targets = new Map<string, { origin: string; path: string }>();
function targetOf(url: string): { origin: string; path: string } {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    targets.set(url, target);
  }
  return target;
}

const abortReason = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new DOMException('This operation was aborted', 'AbortError');

/**
 * One request on the pool, its body collected straight from undici's handler (no response stream
 * per call): resolves with the complete answer, rejects with the connection's error (its code
 * kept), the signal's reason, or a `TruncatedResponseError` when the body broke off after the status line.
 */
function send(agent: Agent, url: string, init: FetchInit): Promise<SubgraphResponse> {
  const signal = (init.signal ?? undefined) as AbortSignal | undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const { origin, path } = targetOf(url);
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let headers: RawHeaders = {};
    let answered = false;
    const chunks: Buffer[] = [];
    const onAbort = () => controller?.abort(abortReason(signal as AbortSignal));
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    agent.dispatch(
      {
        origin,
        path,
        method: init.method ?? 'POST',
        headers: init.headers ?? {},
        body: init.body ?? null,
      },
      {
        onRequestStart(requestController) {
          controller = requestController;
          if (signal?.aborted) requestController.abort(abortReason(signal));
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          status = statusCode;
          headers = responseHeaders;
          answered = true;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          done();
          const body =
            chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve(new SubgraphResponse(url, status, headers, body));
        },
        onResponseError(_controller, error) {
          done();
          // The status line arrived but the body broke off: the subgraph answered, badly. Not a
          // connection error, so it is not retried and reads as SUBGRAPH_BAD_RESPONSE.
          if (answered && !signal?.aborted) reject(new TruncatedResponseError(url, status, error));
          else reject(error);
        },
      },
    );
  });
}

/**
 * The gateway's HTTP client for subgraphs: undici's dispatcher over keep-alive pools, one per
 * subgraph origin, instead of the default make-fetch-happen client (which opens and caches far more
 * than a gateway needs and shows up high in profiles).
 */
export function createSubgraphClient(options: SubgraphClientOptions): { fetcher: Fetcher; close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: options.keepAliveMs, pipelining: 1 });
  const fetcher = ((url, init = {}) => send(agent, url, init)) as Fetcher;
  // The gateway closes its client after its HTTP server drained: a subgraph request still pending
  // then belongs to a request whose connection was cut, so it is aborted rather than waited for.
  return { fetcher, close: () => agent.destroy() };
}
