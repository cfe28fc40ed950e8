/**
 * What the gateway and the offices agree on for live changes over GraphQL over WebSocket
 * (docs/live-changes.md): where an office's socket is, and how it says its change feed was lost.
 */

/**
 * The close code of an office socket whose change feed was lost (an internal error, 1011): the
 * subscriber should subscribe again, and may have missed changes meanwhile.
 */
export const CHANGE_FEED_LOST_CLOSE_CODE = 1011;

/** The WebSocket URL of a GraphQL endpoint: the same host and path (`ws://` for `http://`, `wss://` for `https://`). */
export function webSocketUrl(httpUrl: string): string {
  const url = new URL(httpUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
