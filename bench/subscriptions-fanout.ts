/**
 * Subscriptions through the gateway, measured on @cip/testing's live lab (two offices on port 0, the
 * real gateway in this process): N graphql-ws clients on one board; each event is completed with the
 * other office's field (one `_entities` fetch per event per client subscription, as each client
 * subscription has its own office connection). Not a test: numbers for bench/RESULTS.md.
 *
 *   node --conditions=source --import tsx bench/subscriptions-fanout.ts [clients] [events]
 */
import { liveWebSocketClient } from '@cip/testing/live-clients';
import { startLiveLab } from '@cip/testing/live-lab';

const clients = Number(process.argv[2] ?? 20);
const events = Number(process.argv[3] ?? 500);
// BENCH_OTHER_OFFICE=0: the event alone (no second office), to see what the rest of the plan costs.
const otherOffice = process.env.BENCH_OTHER_OFFICE !== '0';
const query = `subscription { boardChanged(ids: ["bench"]) { id version board { title ${otherOffice ? 'label' : ''} } } }`;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

const lab = await startLiveLab({ SUBSCRIPTION_BUFFERED_EVENTS: String(events + 10) });
try {
  const sockets = Array.from({ length: clients }, () => liveWebSocketClient(lab.gatewayUrl));
  const recordings = sockets.map((socket) => socket.subscribe({ query }));
  await lab.boards.untilSubscribers('bench', clients);

  // Paced: one event every 10 ms, latency from publish to each client's receipt.
  const publishedAt = new Map<number, number>();
  const latencies: number[] = [];
  for (const recording of recordings) {
    const push = recording.push.bind(recording);
    recording.push = (payload) => {
      const version = (payload.data as { boardChanged?: { version: number } } | undefined)?.boardChanged?.version;
      const at = version === undefined ? undefined : publishedAt.get(version);
      if (at !== undefined) latencies.push(performance.now() - at);
      push(payload);
    };
  }
  const paced = 200;
  for (let version = 1; version <= paced; version++) {
    publishedAt.set(version, performance.now());
    lab.boards.publish({ id: 'bench', version });
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.all(recordings.map((recording) => recording.untilEvents(paced, 120_000)));

  // Burst: `events` published at once; time until every client has every one.
  const start = performance.now();
  for (let version = paced + 1; version <= paced + events; version++) {
    publishedAt.set(version, performance.now());
    lab.boards.publish({ id: 'bench', version });
  }
  await Promise.all(recordings.map((recording) => recording.untilEvents(paced + events, 300_000)));
  const burstMs = performance.now() - start;
  const inOrder = recordings.every((recording) =>
    recording.events.every(
      (event, index) => (event.data as { boardChanged: { version: number } }).boardChanged.version === index + 1,
    ),
  );
  console.log(
    JSON.stringify({
      clients,
      paced: {
        events: paced,
        latencyMs: {
          p50: percentile(latencies.slice(0, paced * clients), 50),
          p99: percentile(latencies.slice(0, paced * clients), 99),
        },
      },
      burst: { events, ms: Math.round(burstMs), deliveredPerSecond: Math.round((events * clients) / (burstMs / 1000)) },
      inOrder,
    }),
  );
  for (const socket of sockets) await socket.dispose();
} finally {
  await lab.stop();
}
