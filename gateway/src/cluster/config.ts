import { availableParallelism } from 'node:os';
import { defineSection, envDocs, serverSection, type ServerSettings } from '@cip/core';
import { z } from 'zod';

/** The standalone gateway's server basics: the shared ones, and how many processes answer on its port. */
export interface GatewayServerSettings extends ServerSettings {
  /** Gateway processes on the one port; 1 is the plain single process (no cluster). */
  readonly workers: number;
}

/** `GATEWAY_WORKERS`: a positive integer, or `auto` for the machine's cores. */
const gatewayWorkers = z
  .string()
  .default('1')
  .transform((text, context) => {
    const value = text.trim();
    if (value === 'auto') return availableParallelism();
    if (/^[1-9]\d*$/.test(value)) return Number(value);
    context.addIssue({ code: 'custom', message: 'expected a positive integer or auto' });
    return z.NEVER;
  })
  .register(envDocs, {
    description:
      'gateway processes answering on the one port (node:cluster); auto: one per core. The embedded stack (npm start) always runs one',
    shownDefault: '1',
  });

/** The server section of the standalone gateway (gateway/src/main.ts): the shared basics plus GATEWAY_WORKERS. */
export function gatewayServerSection(defaults: Parameters<typeof serverSection>[0]) {
  const basics = serverSection(defaults);
  return defineSection({
    shape: { ...basics.shape, GATEWAY_WORKERS: gatewayWorkers },
    rules: (rule) => basics.rules?.(rule) ?? [],
    build: (values): GatewayServerSettings => ({ ...basics.build(values), workers: values.GATEWAY_WORKERS }),
  });
}
