import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { Agent, request } from 'undici';

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

/**
 * The gateway's HTTP client for subgraphs: undici's `request` over keep-alive pools, one per
 * subgraph origin, instead of the default make-fetch-happen client (which opens and caches far more
 * than a gateway needs and shows up high in profiles).
 */
export function createSubgraphClient(options: SubgraphClientOptions): { fetcher: Fetcher; close(): Promise<void> } {
  const agent = new Agent({ connections: options.connections, keepAliveTimeout: options.keepAliveMs, pipelining: 1 });
  const fetcher = (async (url, init = {}) => {
    const response = await request(url, {
      method: (init.method ?? 'POST') as 'POST',
      headers: init.headers ?? {},
      body: init.body ?? null,
      signal: init.signal,
      dispatcher: agent,
    });
    let body: string;
    try {
      body = await response.body.text();
    } catch (error) {
      // The status line arrived but the body broke off: the subgraph answered, badly. Not a
      // connection error, so it is not retried and reads as SUBGRAPH_BAD_RESPONSE.
      if ((init.signal as AbortSignal | null | undefined)?.aborted) throw error;
      throw new TruncatedResponseError(url, response.statusCode, error);
    }
    return new SubgraphResponse(url, response.statusCode, response.headers, body);
  }) as Fetcher;
  // The gateway closes its client after its HTTP server drained: a subgraph request still pending
  // then belongs to a request whose connection was cut, so it is aborted rather than waited for.
  return { fetcher, close: () => agent.destroy() };
}
