import cluster, { type Worker } from 'node:cluster';
import { STOP_DEADLINE_MS, type Logger } from '@cip/core';
import { AggregatorRegistry } from 'prom-client';
import { isClusterMessage, type ClusterMessage } from './messages.js';

/**
 * Runs the gateway as `workers` processes on one port (node:cluster): each worker runs
 * gateway/src/main.ts as a single gateway does, building its own state (Redis where configured, as
 * a replica would). The primary only forks, restarts, aggregates metrics and stops:
 * - a worker that dies after it listened is replaced (with a log line), except during shutdown;
 *   one that dies before it ever listened is a start-up failure, so the whole gateway exits 1
 *   rather than forking forever;
 * - `/metrics` on any worker is the cluster's sum: the worker asks the primary, which asks every
 *   worker (prom-client's AggregatorRegistry);
 * - SIGTERM or SIGINT asks every worker to drain and exit, and exits once they all have: 0 if they
 *   all exited 0. A second signal kills them at once and exits 1.
 */
export function runClusterPrimary(workers: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  // Our own count: cluster.workers may still hold a worker during its 'exit' event.
  const alive = new Set<Worker>();
  const listened = new Set<Worker>();
  let listening = false;
  let stopping = false;
  let failed = false;

  const send = (worker: Worker, message: ClusterMessage) => {
    if (worker.isConnected()) worker.send(message);
  };

  const fork = () => {
    const worker = cluster.fork();
    alive.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isClusterMessage(message) || message.type !== 'cip:metrics-request') return;
      aggregator.clusterMetrics().then(
        (text) => send(worker, { type: 'cip:metrics-response', id: message.id, text }),
        (error: unknown) =>
          send(worker, { type: 'cip:metrics-response', id: message.id, error: (error as Error).message }),
      );
    });
    worker.once('listening', (address) => {
      listened.add(worker);
      if (listening || listened.size < workers) return;
      listening = true;
      const host = address.addressType === 6 ? `[${address.address}]` : address.address;
      logger.info({ workers, url: `http://${host}:${address.port}/graphql` }, 'gateway workers listening');
    });
  };

  const stopAll = (signal: NodeJS.Signals | undefined) => {
    if (stopping) {
      logger.error({ signal }, 'second signal: killing the workers');
      for (const worker of alive) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, workers: alive.size }, 'stopping the workers');
    for (const worker of alive) send(worker, { type: 'cip:stop' });
    // Each worker exits within its own stop deadline; this one only guards against a worker that hangs anyway.
    setTimeout(() => {
      logger.error({ deadlineMs: STOP_DEADLINE_MS }, 'workers took too long to stop; killing them');
      for (const worker of alive) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_DEADLINE_MS * 2).unref();
    exitWhenNoneLeft();
  };

  const exitWhenNoneLeft = () => {
    if (alive.size === 0) process.exit(failed ? 1 : 0);
  };

  cluster.on('exit', (worker, code, signal) => {
    alive.delete(worker);
    const hadListened = listened.delete(worker);
    const exit = { workerPid: worker.process.pid, code, signal };
    if (stopping) {
      if (code !== 0) failed = true;
      return exitWhenNoneLeft();
    }
    if (!hadListened) {
      logger.error(exit, 'a gateway worker failed to start; stopping');
      failed = true;
      return stopAll(undefined);
    }
    logger.warn(exit, 'a gateway worker exited unexpectedly; starting another');
    fork();
  });

  process.on('SIGTERM', stopAll);
  process.on('SIGINT', stopAll);
  for (let started = 0; started < workers; started++) fork();
}
