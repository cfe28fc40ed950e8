import { envVar, parseEnv, type Env } from '@cip/core';
import { SUPERGRAPH_FILE } from '@cip/schema';
import { z } from 'zod';

/** `name=url,name=url`: where to reach subgraphs when not at the supergraph's routing URLs. */
const subgraphUrls = z
  .string()
  .transform((value, context) => {
    const entries = value.split(',').map((pair) => pair.trim().split('='));
    const urls: Record<string, string> = {};
    for (const entry of entries) {
      const [name, url] = entry;
      if (entry.length !== 2 || !name || !url || !URL.canParse(url)) {
        context.addIssue({
          code: 'custom',
          message: `expected name=url pairs separated by commas; got "${entry.join('=')}"`,
        });
        return z.NEVER;
      }
      urls[name] = url;
    }
    return urls;
  })
  .default({});

const gatewayConfigShape = {
  NODE_ENV: envVar.mode(),
  HOST: envVar.host(),
  PORT: envVar.port(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `file` serves the committed supergraph; `introspect` composes from the running subgraphs (development). */
  SUPERGRAPH_SOURCE: z.enum(['file', 'introspect']).default('file'),
  SUPERGRAPH_PATH: z.string().min(1).default(SUPERGRAPH_FILE),
  SUBGRAPH_URLS: subgraphUrls,
  /** Keep-alive connections the gateway may hold open to each subgraph. */
  SUBGRAPH_CONNECTIONS: envVar.positiveInt(32),
  SUBGRAPH_KEEP_ALIVE_MS: envVar.positiveInt(30_000),
  MAX_BODY_BYTES: envVar.positiveInt(1_048_576),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export function parseGatewayConfig(env: Env): GatewayConfig {
  return parseEnv('gateway', gatewayConfigShape, env);
}
