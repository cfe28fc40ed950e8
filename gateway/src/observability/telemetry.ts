/**
 * @apollo/gateway starts an OpenTelemetry usage exporter in its constructor (with cloud metadata
 * detectors that probe link-local addresses) unless this variable is set. Our gateway talks to its
 * subgraphs and nothing else, so it is set in code, before any gateway is built, whatever the
 * environment says.
 */
export function disableApolloTelemetry(): void {
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
}
