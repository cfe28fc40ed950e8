import { defineSection, envDocs, envVar } from '@cip/core';

/** The observability concern's options (docs/operating.md); LOG_LEVEL is the HTTP server basics' own. */
export interface ObservabilitySettings {
  /** OTLP/HTTP traces endpoint; undefined: no trace leaves the process. */
  readonly otlpEndpoint: string | undefined;
  /** Time a `/ready` probe of one subgraph may take. */
  readonly readyProbeTimeoutMs: number;
}

export const observabilitySection = defineSection({
  shape: {
    OTEL_EXPORTER_OTLP_ENDPOINT: envVar.otlpEndpoint(),
    READY_PROBE_TIMEOUT_MS: envVar.positiveInt(2_000).register(envDocs, {
      description: 'time a `/ready` probe of one subgraph may take',
    }),
  },
  build: (values): ObservabilitySettings => ({
    otlpEndpoint: values.OTEL_EXPORTER_OTLP_ENDPOINT,
    readyProbeTimeoutMs: values.READY_PROBE_TIMEOUT_MS,
  }),
});
