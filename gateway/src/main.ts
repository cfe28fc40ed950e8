import { createLogger, exitOnStartupError, stopOnSignal } from '@cip/core';
import { parseGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

/** Starts the gateway alone, in front of subgraphs that run elsewhere. */
async function main(): Promise<void> {
  const config = parseGatewayConfig(process.env);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const gateway = await buildGateway(config, logger);
  const url = await gateway.listen(config.HOST, config.PORT);
  logger.info({ url: `${url}/graphql` }, 'gateway listening');
  stopOnSignal(() => gateway.stop(), logger);
}

main().catch(exitOnStartupError);
