import { setTimeout as sleep } from 'node:timers/promises';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { CHANGE_FEED_LOST_CLOSE_CODE, webSocketUrl } from '@cip/core';
import type { OfficeEvent } from '@cip/plan-executor';

/** Where and how often to subscribe to an office again once its socket dropped (config.ts). */
export interface ResubscribePolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly attempts: number;
}

export interface OfficeSubscriptionOptions {
  /** The office's name (the supergraph's subgraph name, which signatures are bound to). */
  readonly office: string;
  /** Its `/graphql` URL over HTTP; the socket is opened on the same path (ws:// for http://). */
  readonly url: string;
  /** The headers of each WebSocket upgrade, signed afresh for each attempt (a signature is accepted once). */
  readonly upgradeHeaders: () => Record<string, string>;
  readonly payload: { query: string; variables: Record<string, unknown>; operationName?: string };
  readonly resubscribe: ResubscribePolicy;
}

export interface OfficeSink {
  next(event: OfficeEvent): void;
  /** The office's socket dropped at `since` and the subscription was sent again at `until`. */
  gap(since: Date, until: Date): void;
  /** The subscription ended for good: the office refused it, or stayed away past the attempts. */
  error(errors: readonly GraphQLFormattedError[]): void;
  complete(): void;
}

/** Full jitter over an exponential backoff, capped. */
export function resubscribeWait(policy: ResubscribePolicy, attempt: number): number {
  return Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
}

function isFormattedErrors(value: unknown): value is GraphQLFormattedError[] {
  return Array.isArray(value) && value.every((error) => typeof (error as { message?: unknown })?.message === 'string');
}

/**
 * Subscribes to one office over graphql-transport-ws, one connection for this one client
 * subscription (the contract: no sharing across callers). The upgrade carries the gateway's signed
 * headers (GET, the URL's path, an empty body). When the socket drops while the subscription is
 * live, graphql-ws connects and subscribes again, with `resubscribe`'s backoff; `sink.gap` then
 * reports when events may have been missed. Returns what ends it.
 */
export function subscribeToOffice(options: OfficeSubscriptionOptions, sink: OfficeSink): () => void {
  const { office, upgradeHeaders, resubscribe } = options;
  class SignedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: upgradeHeaders() });
    }

    // An office closes with 1011 when it lost its store's notifications: "subscribe again" (its
    // CHANGE_FEED_LOST). graphql-ws never retries 1011, so it is handed 1012 (Service Restart),
    // which it retries like any office restart: the gap is then reported as for one.
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'close' && args[0] === CHANGE_FEED_LOST_CLOSE_CODE) args[0] = 1012;
      return super.emit(event, ...args);
    }
  }
  let ended = false;
  let connected = false;
  let droppedAt: Date | undefined;
  const client: Client = createClient({
    url: webSocketUrl(options.url),
    webSocketImpl: SignedWebSocket,
    lazy: true,
    retryAttempts: resubscribe.attempts,
    retryWait: (attempt) => sleep(resubscribeWait(resubscribe, attempt)),
    // Any drop is retried (a refused upgrade too: an office that restarts refuses nothing for long);
    // graphql-ws itself gives up on the fatal close codes (4400, 4401, 4406, 1002-1011...).
    shouldRetry: () => true,
    on: {
      connected: () => {
        connected = true;
        if (!droppedAt) return;
        const since = droppedAt;
        droppedAt = undefined;
        // graphql-ws sends the subscription again right after `connected`, in the same turn.
        queueMicrotask(() => {
          if (!ended) sink.gap(since, new Date());
        });
      },
      closed: () => {
        if (connected && !ended) droppedAt ??= new Date();
        connected = false;
      },
    },
  });
  const unsubscribe = client.subscribe<Record<string, unknown>>(options.payload, {
    next: (result) => {
      if (!ended) sink.next(result);
    },
    error: (error: unknown) => {
      if (ended) return;
      ended = true;
      void client.dispose();
      sink.error(
        isFormattedErrors(error)
          ? error
          : [
              {
                message: `The ${office} office could not be subscribed to.`,
                extensions: { code: 'SUBGRAPH_UNREACHABLE', subgraph: office },
              },
            ],
      );
    },
    complete: () => {
      if (ended) return;
      ended = true;
      void client.dispose();
      sink.complete();
    },
  });
  return () => {
    if (ended) return;
    ended = true;
    unsubscribe();
    void client.dispose();
  };
}
