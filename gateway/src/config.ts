import {
  parseConfig,
  type Env,
  type ProcessValues,
  type RuleBuilder,
  type ServerSettings,
  type serverSection,
} from '@cip/core';
import { gatewayServerSection, type GatewayServerSettings } from './cluster/config.js';
import { corsSection, type CorsSettings } from './cors/config.js';
import { executionSection, type ExecutionSettings } from './execution/config.js';
import { explorerSection, type ExplorerSettings } from './explorer/config.js';
import { explorerMode } from './explorer/explorerAccess.js';
import { observabilitySection, type ObservabilitySettings } from './observability/config.js';
import { resilienceSection, type ResilienceSettings } from './resilience/config.js';
import { securitySection, type SecuritySettings } from './security/config.js';
import { sharedStateSection, type SharedStateSettings } from './shared-state/config.js';
import { subscriptionsSection, type SubscriptionSettings } from './subscriptions/config.js';
import { supergraphSection, type SupergraphSettings } from './supergraph/config.js';
import { usageSection, type UsageSettings } from './usage/config.js';

/**
 * The gateway's configuration, one section per concern: each concern's folder owns its variables,
 * their defaults and the mixes it refuses (`<concern>/config.ts`); `server.ts` hands each concern
 * its own section. With no environment at all, the defaults run the embedded system.
 */
export const gatewaySections = {
  server: gatewayServerSection({ port: 4000 }),
  execution: executionSection,
  supergraph: supergraphSection,
  security: securitySection,
  resilience: resilienceSection,
  observability: observabilitySection,
  explorer: explorerSection,
  sharedState: sharedStateSection,
  usage: usageSection,
  cors: corsSection,
  subscriptions: subscriptionsSection,
};

/** The sections a process embedding the gateway (the stack) takes: all but the standalone server section. */
type EmbeddedGatewaySections = Omit<typeof gatewaySections, 'server'> & { server: ReturnType<typeof serverSection> };

/** Mixes across sections: the explorer's build is read only when the explorer is served. */
export const gatewayRules = (rule: RuleBuilder<ProcessValues<EmbeddedGatewaySections>>) => [
  rule.check(['EXPLORER', 'NODE_ENV'], (values, isSet) =>
    isSet('EXPLORER_DIST_DIR') &&
    explorerMode({ explorer: values.EXPLORER, queryPlans: undefined }, values.NODE_ENV) === 'off'
      ? {
          variable: 'EXPLORER_DIST_DIR',
          message: `has no effect while the explorer is off (${values.EXPLORER === undefined ? 'NODE_ENV=production' : 'EXPLORER=off'})`,
        }
      : undefined,
  ),
];

/** What `parseGatewayConfig` returns: each concern's options under its name. */
export interface GatewayConfig {
  readonly server: ServerSettings;
  readonly execution: ExecutionSettings;
  readonly supergraph: SupergraphSettings;
  readonly security: SecuritySettings;
  readonly resilience: ResilienceSettings;
  readonly observability: ObservabilitySettings;
  readonly explorer: ExplorerSettings;
  readonly sharedState: SharedStateSettings;
  readonly usage: UsageSettings;
  readonly cors: CorsSettings;
  readonly subscriptions: SubscriptionSettings;
}

/**
 * The standalone gateway's config (gateway/src/main.ts): its server section also says how many
 * processes answer (GATEWAY_WORKERS); an embedding process (the stack) brings its own server section.
 */
export type StandaloneGatewayConfig = GatewayConfig & { readonly server: GatewayServerSettings };

/**
 * The standalone gateway's own mixes: several workers share nothing in memory, so a response cache
 * without Redis would keep answering from a worker a write never reached (docs/operating.md).
 */
const standaloneRules = (rule: RuleBuilder<ProcessValues<typeof gatewaySections>>) => [
  ...gatewayRules(rule),
  rule.check(['GATEWAY_WORKERS', 'RESPONSE_CACHE'], (values, isSet) =>
    values.GATEWAY_WORKERS > 1 && values.RESPONSE_CACHE === 'on' && !isSet('REDIS_URL')
      ? {
          variable: 'RESPONSE_CACHE',
          message: `needs REDIS_URL with GATEWAY_WORKERS=${values.GATEWAY_WORKERS}: a write through one worker would not clear another's cache`,
        }
      : undefined,
  ),
];

export function parseGatewayConfig(env: Env): StandaloneGatewayConfig {
  return parseConfig('gateway', gatewaySections, env, standaloneRules);
}
