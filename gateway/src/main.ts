import { createLogger, entryPointCommand, exitOnStartupError, readCommandLine, stopOnSignal } from '@cip/core';
import { gatewaySections, parseGatewayConfig } from './config.js';
import { buildGateway } from './server.js';

const command = entryPointCommand({
  name: 'node gateway/dist/main.js',
  summary: 'starts the gateway alone, in front of subgraphs that run elsewhere',
  sections: gatewaySections,
});

/** Starts the gateway alone, in front of subgraphs that run elsewhere. */
async function main(): Promise<void> {
  readCommandLine(command);
  const config = parseGatewayConfig(process.env);
  const logger = createLogger('gateway', config.server.logLevel);
  const gateway = await buildGateway(config, logger);
  const url = await gateway.listen(config.server.host, config.server.port);
  logger.info({ url: `${url}/graphql` }, 'gateway listening');
  stopOnSignal(() => gateway.stop(), logger);
}

main().catch(exitOnStartupError);
