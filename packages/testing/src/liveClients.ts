import type { FormattedExecutionResult } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { webSocketUrl } from './officeSubscriptions.js';

/** How a socket ended, as the client saw it. */
export interface Closed {
  code: number;
  reason: string;
}

/**
 * What a subscription has delivered so far, for a test to wait on: payloads in order, how it
 * ended (completed, an error), and for WebSocket clients how the socket closed.
 */
export class Recording {
  readonly payloads: FormattedExecutionResult[] = [];
  completed = false;
  error: unknown;
  closed: Closed | undefined;
  private readonly waiters = new Set<() => void>();

  push(payload: FormattedExecutionResult): void {
    this.payloads.push(payload);
    this.notify();
  }

  end(error?: unknown): void {
    if (error !== undefined) this.error = error;
    this.completed = true;
    this.notify();
  }

  close(closed: Closed): void {
    this.closed ??= closed;
    this.notify();
  }

  /** Payloads that are events (data), without the error-only ones (gaps, refusals). */
  get events(): FormattedExecutionResult[] {
    return this.payloads.filter((payload) => payload.data !== undefined && payload.data !== null);
  }

  /** Error codes of the payloads, in order. */
  get codes(): string[] {
    return this.payloads.flatMap((payload) => (payload.errors ?? []).map((error) => String(error.extensions?.code)));
  }

  /** Resolves once `condition` holds (checked on every change); rejects after `timeoutMs` with what was seen. */
  until(condition: (recording: this) => boolean, timeoutMs = 30_000, what = 'the condition'): Promise<void> {
    if (condition(this)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition(this)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; seen: ${JSON.stringify(this.summary())}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Resolves once `count` events have arrived. */
  untilEvents(count: number, timeoutMs?: number): Promise<void> {
    return this.until((recording) => recording.events.length >= count, timeoutMs, `${count} events`);
  }

  summary() {
    return {
      payloads: this.payloads,
      completed: this.completed,
      closed: this.closed,
      error: this.error === undefined ? '' : JSON.stringify(this.error),
    };
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export interface LiveClientOptions {
  /** A bearer token (WebSocket: in `connection_init`, unless `tokenInUpgrade`; SSE: the Authorization header). */
  token?: string;
  /** Send the token as the upgrade's Authorization header instead of in `connection_init`. */
  tokenInUpgrade?: boolean;
  /** More headers on the upgrade (WebSocket) or on each request (SSE). */
  headers?: Record<string, string>;
}

export interface GraphQLRequestBody {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/** A subscription being recorded, and what ends it. */
export type RecordedSubscription = Recording & { unsubscribe: () => void };

/** The sink graphql-ws and graphql-sse clients both take. */
interface PayloadSink {
  next(payload: unknown): void;
  error(error: unknown): void;
  complete(): void;
}

/** Subscribes through a client (graphql-ws or graphql-sse) and records what arrives. */
function recorded(subscribe: (sink: PayloadSink) => () => void): RecordedSubscription {
  const recording = new Recording();
  const unsubscribe = subscribe({
    next: (payload) => recording.push(payload as FormattedExecutionResult),
    error: (error) => recording.end(error),
    complete: () => recording.end(),
  });
  return Object.assign(recording, { unsubscribe });
}

/** A graphql-ws client (graphql-transport-ws) over `ws`, which can send headers on the upgrade; no retries. */
export function liveWebSocketClient(httpUrl: string, options: LiveClientOptions = {}) {
  const headers = {
    ...options.headers,
    ...(options.token && options.tokenInUpgrade ? { authorization: `Bearer ${options.token}` } : {}),
  };
  const closes: Closed[] = [];
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const recordings = new Set<Recording>();
  const client: Client = createWsClient({
    url: webSocketUrl(httpUrl),
    webSocketImpl: HeaderWebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: options.token && !options.tokenInUpgrade ? { authorization: `Bearer ${options.token}` } : {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        const closed = { code, reason: String(reason) };
        closes.push(closed);
        for (const recording of recordings) recording.close(closed);
      },
    },
  });
  return {
    client,
    closes,
    /** Subscribes and records what arrives. */
    subscribe(body: GraphQLRequestBody): RecordedSubscription {
      const recording = recorded((sink) => client.subscribe<Record<string, unknown>>(body, sink));
      recordings.add(recording);
      return recording;
    },
    dispose: () => client.dispose(),
  };
}

/** A graphql-sse client in distinct connections mode (one POST per subscription); no retries. */
export function liveSseClient(httpUrl: string, options: LiveClientOptions = {}) {
  const client = createSseClient({
    url: httpUrl,
    retryAttempts: 0,
    headers: {
      ...options.headers,
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });
  return {
    client,
    subscribe(body: GraphQLRequestBody): RecordedSubscription {
      return recorded((sink) => client.subscribe<Record<string, unknown>>(body, sink));
    },
    dispose: () => client.dispose(),
  };
}

/**
 * A graphql-transport-ws client written by hand over a raw `ws` socket, for what a library client
 * hides: a client that stops reading (`pause`: its TCP window fills, as a slow consumer's does).
 */
export async function rawWebSocketSubscriber(httpUrl: string, body: GraphQLRequestBody, token?: string) {
  const socket = new WebSocket(webSocketUrl(httpUrl), 'graphql-transport-ws');
  const recording = new Recording();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; payload?: FormattedExecutionResult };
    if (message.type === 'next' && message.payload) recording.push(message.payload);
    if (message.type === 'complete') recording.end();
    if (message.type === 'error') recording.end(message.payload);
  });
  socket.on('close', (code, reason) => recording.close({ code, reason: reason.toString() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const acknowledged = new Promise<void>((resolve) =>
    socket.on('message', (data: Buffer) => {
      if ((JSON.parse(data.toString()) as { type: string }).type === 'connection_ack') resolve();
    }),
  );
  socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: `Bearer ${token}` } : {} }));
  await acknowledged;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: body }));
  const tcp = (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  return {
    socket,
    recording,
    /** Stops reading from the socket: what the gateway sends piles up in the kernel's buffers, then in its own. */
    pause: () => tcp.pause(),
    resume: () => tcp.resume(),
    close: () => socket.terminate(),
  };
}
