import type { Server } from 'node:http';
import { ConfigError } from './config.js';
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string): Logger {
  // Tokens and personal data never go in a log line; redact the usual carriers in case a caller logs a request.
  return pino({ name, level, redact: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'] });
}

/** How long a stop may take before the process exits anyway (a drain must fit under it). */
export const STOP_DEADLINE_MS = 10_000;

/**
 * Runs `stop` once on SIGINT or SIGTERM and exits 0 when it finishes; a second signal, or a stop
 * that takes longer than `deadlineMs`, exits 1 at once so Ctrl-C twice always works.
 */
export function stopOnSignal(stop: () => Promise<void>, logger: Logger, deadlineMs = STOP_DEADLINE_MS): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'stop took too long; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Graceful drain for an HTTP server being closed: keep-alive connections are closed as soon as they
 * go idle (checked every `checkMs`), so clients do not send new requests on them, and any request
 * still running after `deadlineMs` has its connection cut, so a hung request cannot hold up the
 * stop. Call it right before `close(server)`; call the returned function once the server closed.
 */
export function drainConnections(server: Server, deadlineMs: number, checkMs = 50): () => void {
  const idle = setInterval(() => server.closeIdleConnections(), checkMs);
  const cut = setTimeout(() => server.closeAllConnections(), deadlineMs);
  idle.unref();
  cut.unref();
  return () => {
    clearInterval(idle);
    clearTimeout(cut);
  };
}

/** Ends a process whose start-up failed: a bad config names its variables and exits 78 (EX_CONFIG). */
export function exitOnStartupError(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}
