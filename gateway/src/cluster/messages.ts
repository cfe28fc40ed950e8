/**
 * What the primary and its workers say to each other over the cluster's IPC channel (besides
 * prom-client's own metric requests): a worker asks for the cluster's metrics to answer `/metrics`,
 * and the primary asks each worker to drain and exit.
 */
export type ClusterMessage =
  | { readonly type: 'cip:metrics-request'; readonly id: number }
  | { readonly type: 'cip:metrics-response'; readonly id: number; readonly text?: string; readonly error?: string }
  | { readonly type: 'cip:stop' };

export function isClusterMessage(message: unknown): message is ClusterMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    typeof (message as { type?: unknown }).type === 'string' &&
    (message as { type: string }).type.startsWith('cip:')
  );
}
