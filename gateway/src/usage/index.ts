import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '@cip/core';
import { openUsageStore } from '@cip/schema/usage';
import type { GatewayContext } from '../context.js';
import type { UsageSettings } from './config.js';
import { usagePlugin } from './usagePlugin.js';
import { UsageRecorder, type UsageRecorderStats } from './usageRecorder.js';

export { usageSection, type UsageSettings } from './config.js';
export { UsageRecorder, type UsageRecorderOptions, type UsageRecorderStats } from './usageRecorder.js';
export { clientIdentity } from './usagePlugin.js';

/** The usage concern as the server assembles it. */
export interface UsageRecording {
  readonly plugins: ApolloServerPlugin<GatewayContext>[];
  /** Writes what is held in memory to the store now (tests; the timer and `stop` do it otherwise). */
  flush(): Promise<void>;
  stats(): UsageRecorderStats | undefined;
  /** Stops the timer, flushes, closes the store. */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** Recording on: the recorder, its Apollo plugin and its flush timer. Off: nothing at all. */
export function buildUsageRecording(settings: UsageSettings, logger: Logger): UsageRecording {
  if (!settings.store) {
    return { plugins: [], flush: async () => undefined, stats: () => undefined, stop: async () => undefined };
  }
  const store = openUsageStore(settings.store);
  const recorder = new UsageRecorder({
    store,
    sampleRate: settings.sampleRate,
    maxDocuments: settings.maxDocuments,
    maxPendingCounts: settings.maxPendingCounts,
    maxDocumentBytes: settings.maxDocumentBytes,
    retentionMs: settings.retentionDays * DAY_MS,
    logger,
  });
  // Off the request path: requests only add to counts in memory; this timer writes them.
  const timer = setInterval(() => void recorder.flush(), settings.flushMs);
  timer.unref();
  return {
    plugins: [usagePlugin(recorder)],
    flush: () => recorder.flush(),
    stats: () => recorder.stats(),
    async stop() {
      clearInterval(timer);
      await recorder.flush();
      await store.close();
    },
  };
}
