import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource } from '../observability/metrics.js';
import { isClusterMessage, type ClusterMessage } from './messages.js';

const METRICS_TIMEOUT_MS = 10_000;

/**
 * Answers the primary's metric requests (prom-client's own IPC) from the moment the worker starts,
 * with no series until its gateway is built: a scrape while a worker (re)starts gets the others' sums
 * rather than waiting for prom-client's timeout.
 */
export function answerClusterMetricRequests(): void {
  AggregatorRegistry.setRegistries([]);
  // Constructing one is what registers prom-client's answering listener in a worker.
  void new AggregatorRegistry();
}

/**
 * In a cluster worker, `/metrics` answers with the whole cluster's series: this worker's `registry`
 * is offered to the primary's aggregation, and each scrape asks the primary for the aggregate, so a
 * scrape that lands on any worker returns the same sums.
 */
export function clusterMetricsSource(registry: Registry): MetricsSource {
  AggregatorRegistry.setRegistries(registry);
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message) || message.type !== 'cip:metrics-response') return;
    const request = pending.get(message.id);
    pending.delete(message.id);
    if (message.error !== undefined) request?.reject(new Error(`cluster metrics: ${message.error}`));
    else request?.resolve(message.text ?? '');
  });
  return {
    contentType: registry.contentType,
    metrics: () =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('cluster metrics: the primary did not answer'));
        }, METRICS_TIMEOUT_MS);
        pending.set(id, {
          resolve: (text) => (clearTimeout(timer), resolve(text)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        });
        process.send?.({ type: 'cip:metrics-request', id } satisfies ClusterMessage);
      }),
  };
}

/**
 * The primary's stop request runs the worker's signal handler (stopOnSignal: drain, exit 0), once:
 * on Ctrl-C the worker gets the terminal's SIGINT too, and a second signal would mean "exit now".
 */
export function stopOnPrimaryRequest(): void {
  let signalled = false;
  const onSignal = () => (signalled = true);
  process.prependListener('SIGTERM', onSignal);
  process.prependListener('SIGINT', onSignal);
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message) && message.type === 'cip:stop' && !signalled) process.emit('SIGTERM', 'SIGTERM');
  });
}
