import { AggregatorRegistry, Gauge, type Registry } from 'prom-client';
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
  // 1 per worker, so the sum says how many workers a scrape counted (one that is restarting is missing).
  new Gauge({
    name: 'cip_gateway_workers',
    help: 'Gateway worker processes (GATEWAY_WORKERS) whose series this scrape sums.',
    registers: [registry],
  }).set(1);
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
 * Stops this worker when the primary asks. Once the gateway serves (`serving()`, called after its
 * stopOnSignal), the request runs that signal handler (drain, exit 0), once: on Ctrl-C the worker
 * gets the terminal's SIGINT too, and a second signal would mean "exit now". Before, there is
 * nothing to drain: the worker exits 0 at once.
 */
export function stopOnPrimaryRequest(): { serving(): void } {
  let signalled = false;
  let serving = false;
  // A signal before the gateway serves: nothing to drain (and this listener would otherwise keep it alive).
  const onSignal = () => {
    signalled = true;
    if (!serving) process.exit(0);
  };
  process.prependListener('SIGTERM', onSignal);
  process.prependListener('SIGINT', onSignal);
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message) || message.type !== 'cip:stop' || signalled) return;
    if (!serving) process.exit(0);
    process.emit('SIGTERM', 'SIGTERM');
  });
  return { serving: () => (serving = true) };
}
