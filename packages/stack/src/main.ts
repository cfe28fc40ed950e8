import { createLogger, entryPointCommand, exitOnStartupError, readCommandLine, stopOnSignal } from '@cip/core';
import { parseStackConfig, stackSections, startConfiguredStack } from './stack.js';

const command = entryPointCommand({
  // What `npm start` runs once it has built; `npm start -- --help` lands here.
  name: 'node packages/stack/dist/main.js',
  summary: '`npm start`: the whole system (every office and the gateway) on one embedded store, nothing to configure',
  usage: 'node packages/stack/dist/main.js  (or npm start, which builds first)',
  sections: stackSections,
});

/** `npm start`: the whole system on the embedded default, with nothing to configure. */
async function main(): Promise<void> {
  readCommandLine(command);
  const startedAt = performance.now();
  const config = parseStackConfig(process.env);
  const logger = createLogger('stack', config.server.logLevel);
  const stack = await startConfiguredStack(config, logger);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    [
      `Gateway ready in ${seconds} s: ${stack.gatewayUrl}`,
      ...Object.entries(stack.subgraphUrls).map(([name, url]) => `  subgraph ${name.padEnd(20)} ${url}`),
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  stopOnSignal(() => stack.stop(), logger);
}

main().catch(exitOnStartupError);
