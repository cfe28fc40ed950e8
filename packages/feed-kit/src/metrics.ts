import { Counter, Gauge, type Registry } from 'prom-client';

/** The feed's numbers, labelled by feed name, for the subgraph's metrics endpoint. */
export interface FeedMetrics {
  records: Gauge<'feed'>;
  quarantined: Gauge<'feed'>;
  stale: Gauge<'feed'>;
  ageSeconds: Gauge<'feed'>;
  refreshes: Counter<'feed' | 'outcome'>;
}

const byRegistry = new WeakMap<Registry, FeedMetrics>();

/**
 * The kit's metrics on a registry, created once per registry so that several feeds in one process
 * share the series (a metric name can be registered only once).
 */
export function feedMetrics(registry: Registry): FeedMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: FeedMetrics = {
    records: new Gauge({
      name: 'feed_records',
      help: 'Valid records served from the feed.',
      labelNames: ['feed'],
      registers,
    }),
    quarantined: new Gauge({
      name: 'feed_quarantined_records',
      help: 'Records of the last fetched copy that failed validation and are kept out of the graph.',
      labelNames: ['feed'],
      registers,
    }),
    stale: new Gauge({
      name: 'feed_stale',
      help: '1 when the last refresh failed and the last good copy is served.',
      labelNames: ['feed'],
      registers,
    }),
    ageSeconds: new Gauge({
      name: 'feed_copy_age_seconds',
      help: 'Seconds since the copy being served was fetched or confirmed unchanged.',
      labelNames: ['feed'],
      registers,
    }),
    refreshes: new Counter({
      name: 'feed_refreshes_total',
      help: 'Refreshes of the feed, by outcome (fresh, not_modified, failed).',
      labelNames: ['feed', 'outcome'],
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
