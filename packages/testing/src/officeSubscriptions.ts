import { webSocketUrl, type VerifiedClaims } from '@cip/core';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { gatewaySignedHeaders } from './tokens.js';

/**
 * The headers a gateway holding `master` sends on the WebSocket upgrade to `office` at `url`
 * (its `/graphql`): the claims and a signature of `GET`, the path and an empty body (used once).
 */
export function gatewaySignedUpgradeHeaders(
  master: string,
  office: string,
  url: string,
  claims: VerifiedClaims,
): Record<string, string> {
  return gatewaySignedHeaders(master, office, url, claims, '', 'GET');
}

export { webSocketUrl };

/**
 * A `ws` WebSocket that sends `headers()` on its upgrade, asked again for each connection (a
 * signature is good once), for graphql-ws's `webSocketImpl`.
 */
export function webSocketWithHeaders(headers: () => Record<string, string>): unknown {
  return class HeaderedWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: headers() });
    }
  };
}

/** A graphql-ws client of an office's `/graphql` (http or ws URL), each connection upgraded with `headers()`. */
export function officeSubscriptionClient(url: string, headers: () => Record<string, string>): Client {
  return createClient({
    url: webSocketUrl(url),
    webSocketImpl: webSocketWithHeaders(headers),
    retryAttempts: 0,
    lazy: true,
  });
}

/** One subscription's results as they arrive, and how it ended. */
export interface CollectedSubscription {
  readonly results: FormattedExecutionResult[];
  /** Set when the server ended it with an error (graphql-ws `error` message or a close). */
  readonly failure: unknown;
  readonly completed: boolean;
  /** Resolves once `count` results arrived (rejects if it ends first). */
  received(count: number): Promise<FormattedExecutionResult[]>;
  /** Resolves once it ended, by completion or failure. */
  ended(): Promise<void>;
  stop(): void;
}

/** Subscribes with `client` and keeps every result, for tests to wait on. */
export function collectSubscription(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): CollectedSubscription {
  const results: FormattedExecutionResult[] = [];
  let failure: unknown;
  let completed = false;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((waiter) => waiter());
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        results.push(result as FormattedExecutionResult);
        wake();
      },
      error: (error: unknown) => {
        failure = error ?? new Error('subscription failed');
        wake();
      },
      complete: () => {
        completed = true;
        wake();
      },
    },
  );
  const until = <T>(check: () => T | undefined) =>
    new Promise<T>((resolve, reject) => {
      const test = () => {
        let value: T | undefined;
        try {
          value = check();
        } catch (error) {
          waiters.delete(test);
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          waiters.delete(test);
          resolve(value);
        }
      };
      waiters.add(test);
      test();
    });
  return {
    results,
    get failure() {
      return failure;
    },
    get completed() {
      return completed;
    },
    received: (count) =>
      until(() => {
        if (results.length >= count) return results.slice(0, count);
        if (failure !== undefined || completed)
          throw new Error(
            `the subscription ended after ${results.length} of ${count} results: ${describe(failure) ?? 'completed'}`,
          );
        return undefined;
      }),
    ended: () => until(() => (failure !== undefined || completed ? true : undefined)).then(() => undefined),
    stop,
  };
}

function describe(failure: unknown): string | undefined {
  if (failure === undefined) return undefined;
  if (failure instanceof Error) return failure.message;
  const closed = failure as { code?: number; reason?: string };
  if (typeof closed.code === 'number') return `closed ${closed.code} ${closed.reason ?? ''}`;
  return JSON.stringify(failure);
}

/** What an upgrade got instead of a socket: the HTTP status and the JSON body, or `101` if it was accepted. */
export function tryUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(webSocketUrl(url), 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101, body: null });
    });
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON: the test shows it as text.
        }
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
    socket.once('error', reject);
  });
}

/** Each record's versions, in the order its change events arrived. */
export function versionsByRecord(changes: readonly { id: string; version: number }[]): Map<string, number[]> {
  const byRecord = new Map<string, number[]>();
  for (const { id, version } of changes) byRecord.set(id, [...(byRecord.get(id) ?? []), version]);
  return byRecord;
}

/** Every version a record went through after `start`, up to `last`, once each: its events in commit order. */
export function versionsAfter(start: number, last: number): number[] {
  return Array.from({ length: last - start }, (_, index) => start + index + 1);
}
