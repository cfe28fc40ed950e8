import cluster from 'node:cluster';
import { createLogger, entryPointCommand, exitOnStartupError, readCommandLine, stopOnSignal } from '@cip/core';
import { runClusterPrimary } from './cluster/primary.js';
import { answerClusterMetricRequests, clusterMetricsSource, stopOnPrimaryRequest } from './cluster/worker.js';
import { gatewaySections, parseGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

const command = entryPointCommand({
  name: 'node gateway/dist/main.js',
  summary: 'starts the gateway alone, in front of subgraphs that run elsewhere',
  sections: gatewaySections,
});

/**
 * Starts the gateway alone, in front of subgraphs that run elsewhere. With GATEWAY_WORKERS above 1,
 * this process forks that many workers (cluster/primary.ts), each of which runs this file again as
 * one gateway.
 */
async function main(): Promise<void> {
  readCommandLine(command);
  const config = parseGatewayConfig(process.env);
  const logger = createLogger('gateway', config.server.logLevel);
  if (config.server.workers > 1 && cluster.isPrimary) return runClusterPrimary(config.server.workers, logger);
  const worker = cluster.isWorker ? stopOnPrimaryRequest() : undefined;
  if (worker) answerClusterMetricRequests();
  const gateway = await buildGateway(config, logger, worker ? { metricsSource: clusterMetricsSource } : {});
  const url = await gateway.listen(config.server.host, config.server.port);
  logger.info({ url: `${url}/graphql` }, 'gateway listening');
  stopOnSignal(() => gateway.stop(), logger);
  worker?.serving();
}

main().catch(exitOnStartupError);
