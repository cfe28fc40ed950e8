import { createLogger, exitOnStartupError, stopOnSignal } from '@cip/core';
import { startStack } from './stack.js';

/** `npm start`: the whole system on the embedded default, with nothing to configure. */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const logger = createLogger('stack', process.env.LOG_LEVEL || 'warn');
  const stack = await startStack(process.env, logger);
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
