import type { ApolloServerPlugin } from '@apollo/server';
import { processSigningSecret, type Logger } from '@cip/core';
import type { GatewayConfig } from '../config.js';
import type { ContextBuilder, GatewayContext } from '../context.js';
import type { SubgraphRequestHook } from '../subgraphDataSource.js';
import { authenticationContext, authMode, type AuthMode } from './authentication.js';
import { authorizationPlugin } from './authorization.js';
import { schemaDisclosurePlugin } from './introspection.js';
import { isAnalyst } from './callers.js';
import { ANONYMOUS, createTokenVerifier } from './jwt.js';
import { limitsPlugin } from './limits.js';
import { propagateHeaders } from './headerPropagation.js';
import { signSubgraphRequests } from './subgraphSignature.js';
import { SupergraphSecurity } from './supergraphSecurity.js';
import { readTrustedDocuments, trustedDocumentsPlugin } from './trustedDocuments.js';

export interface GatewaySecurity {
  mode: AuthMode;
  supergraph: SupergraphSecurity;
  contextBuilders: ContextBuilder[];
  /** In order: limits and trusted documents run when a request starts, before parsing. */
  plugins: ApolloServerPlugin<GatewayContext>[];
  subgraphRequestHooks: SubgraphRequestHook[];
  /** Whether the caller holds the analyst scope (the explorer and query plans ask too). */
  isAnalyst: (context: GatewayContext) => boolean;
}

/** Everything the gateway does about who may see what, built from its config. */
export async function buildSecurity(config: GatewayConfig, logger: Logger): Promise<GatewaySecurity> {
  const verifier = await createTokenVerifier({
    jwksFile: config.AUTH_JWKS_FILE,
    jwksUrl: config.AUTH_JWKS_URL,
    hs256Secret: config.AUTH_HS256_SECRET,
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    clockSkewSeconds: config.AUTH_CLOCK_SKEW_SECONDS,
    scopesClaim: config.AUTH_SCOPES_CLAIM,
  });
  const mode = authMode(verifier, config.NODE_ENV);
  if (mode === 'open')
    logger.warn(
      'No token verification configured (AUTH_JWKS_FILE, AUTH_JWKS_URL or AUTH_HS256_SECRET): the gateway runs OPEN, every caller sees every field. For local use only.',
    );
  if (mode === 'closed')
    logger.warn(
      'No token verification configured in production: every caller is anonymous, restricted fields are hidden.',
    );
  if (config.AUTH_HS256_SECRET && config.NODE_ENV === 'production')
    logger.warn('AUTH_HS256_SECRET is meant for development; use AUTH_JWKS_FILE or AUTH_JWKS_URL in production.');

  const trustedDocuments =
    config.TRUSTED_DOCUMENTS === 'off'
      ? new Map<string, string>()
      : await readTrustedDocuments(config.TRUSTED_DOCUMENTS_PATH);
  const supergraph = new SupergraphSecurity();
  return {
    mode,
    supergraph,
    contextBuilders: [authenticationContext(mode, verifier, logger)],
    plugins: [
      trustedDocumentsPlugin(config.TRUSTED_DOCUMENTS, trustedDocuments, config.AUTH_ANALYST_SCOPE),
      limitsPlugin(
        {
          maxDepth: config.LIMIT_MAX_DEPTH,
          maxAliases: config.LIMIT_MAX_ALIASES,
          maxRootFields: config.LIMIT_MAX_ROOT_FIELDS,
          maxDirectives: config.LIMIT_MAX_DIRECTIVES,
          maxTokens: config.LIMIT_MAX_TOKENS,
          maxCost: config.LIMIT_MAX_COST,
          maxBatch: config.LIMIT_MAX_BATCH,
          assumedListSize: config.LIMIT_ASSUMED_LIST_SIZE,
        },
        () => supergraph.policy.costs,
      ),
      schemaDisclosurePlugin(config.NODE_ENV, config.AUTH_ANALYST_SCOPE),
      authorizationPlugin(() => supergraph.policy),
    ],
    isAnalyst: (context) => isAnalyst(context.caller ?? ANONYMOUS, config.AUTH_ANALYST_SCOPE),
    subgraphRequestHooks: [
      propagateHeaders(config.PROPAGATE_HEADERS),
      signSubgraphRequests(config.GATEWAY_SIGNING_SECRET ?? processSigningSecret()),
    ],
  };
}
