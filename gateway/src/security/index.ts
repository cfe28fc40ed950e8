import type { ApolloServerPlugin } from '@apollo/server';
import { processSigningSecret, type Logger, type RunMode } from '@cip/core';
import type { ContextBuilder, GatewayContext } from '../context.js';
import type { SubgraphFetchSigner, SubgraphRequestHook } from '../execution/subgraphDataSource.js';
import { authenticationContext, authMode, callerOf, type AuthMode } from './authentication.js';
import { authorizationPlugin } from './authorization.js';
import type { SecuritySettings, TokenKeys } from './config.js';
import { schemaDisclosurePlugin } from './introspection.js';
import { isAnalyst } from './callers.js';
import { ANONYMOUS, createTokenVerifier, type Caller, type JwtSettings } from './jwt.js';
import { limitsPlugin } from './limits.js';
import { propagateHeaders } from './headerPropagation.js';
import { passClaims, signSubgraphFetches } from './subgraphSignature.js';
import { SupergraphSecurity } from './supergraphSecurity.js';
import { readTrustedDocuments, trustedDocumentsPlugin, trustedOperationNames } from './trustedDocuments.js';

export interface GatewaySecurity {
  mode: AuthMode;
  supergraph: SupergraphSecurity;
  contextBuilders: ContextBuilder[];
  /** In order: limits and trusted documents run when a request starts, before parsing. */
  plugins: ApolloServerPlugin<GatewayContext>[];
  subgraphRequestHooks: SubgraphRequestHook[];
  /** Signs each HTTP attempt to a subgraph, over the exact body sent. */
  subgraphFetchSigner: SubgraphFetchSigner;
  /** The caller an `Authorization` value names, or the 401 `UNAUTHENTICATED` refusal (a subscription's connection). */
  authenticate: (authorization: string | undefined) => Promise<Caller>;
  /** Whether the caller holds the analyst scope (the explorer and query plans ask too). */
  isAnalyst: (context: GatewayContext) => boolean;
  /** The operation names of the trusted documents (none with TRUSTED_DOCUMENTS=off): the metrics' `operation` labels. */
  trustedOperationNames: ReadonlySet<string>;
}

/** The verifier's key settings: the config allows one source at most (security/config.ts). */
function keySettings(keys: TokenKeys): Pick<JwtSettings, 'jwksFile' | 'jwksUrl' | 'hs256Secret'> {
  switch (keys.source) {
    case 'none':
      return {};
    case 'jwks-file':
      return { jwksFile: keys.path };
    case 'jwks-url':
      return { jwksUrl: keys.url };
    case 'hs256':
      return { hs256Secret: keys.secret };
  }
}

/** Everything the gateway does about who may see what, built from its config section. */
export async function buildSecurity(
  config: SecuritySettings,
  runMode: RunMode,
  logger: Logger,
): Promise<GatewaySecurity> {
  const { auth } = config;
  const verifier = await createTokenVerifier({
    ...keySettings(auth.keys),
    issuer: auth.issuer,
    audience: auth.audience,
    clockSkewSeconds: auth.clockSkewSeconds,
    requireExp: auth.requireExp,
    maxLifetimeSeconds: auth.maxTokenLifetimeSeconds,
    scopesClaim: auth.scopesClaim,
  });
  const mode = authMode(verifier, runMode);
  if (mode === 'open')
    logger.warn(
      'No token verification configured (AUTH_JWKS_FILE, AUTH_JWKS_URL or AUTH_HS256_SECRET): the gateway runs OPEN, every caller sees every field. For local use only.',
    );
  if (mode === 'closed')
    logger.warn(
      'No token verification configured in production: every caller is anonymous, restricted fields are hidden.',
    );
  if (mode === 'jwt' && !auth.requireExp)
    logger.warn('AUTH_REQUIRE_EXP=false: tokens without `exp` are accepted, and never expire.');
  if (auth.keys.source === 'hs256' && runMode === 'production')
    logger.warn('AUTH_HS256_SECRET is meant for development; use AUTH_JWKS_FILE or AUTH_JWKS_URL in production.');

  const trustedDocuments =
    config.trustedDocuments.mode === 'off'
      ? new Map<string, string>()
      : await readTrustedDocuments(config.trustedDocuments.path);
  const supergraph = new SupergraphSecurity();
  return {
    mode,
    supergraph,
    contextBuilders: [authenticationContext(mode, verifier, logger)],
    plugins: [
      trustedDocumentsPlugin(config.trustedDocuments.mode, trustedDocuments, auth.analystScope),
      limitsPlugin(config.limits, () => supergraph.policy.costs),
      schemaDisclosurePlugin(runMode, auth.analystScope),
      authorizationPlugin(() => supergraph.policy),
    ],
    authenticate: (authorization) => callerOf(authorization, mode, verifier, logger),
    isAnalyst: (context) => isAnalyst(context.caller ?? ANONYMOUS, auth.analystScope),
    trustedOperationNames: trustedOperationNames(trustedDocuments),
    subgraphRequestHooks: [propagateHeaders(config.propagateHeaders), passClaims],
    subgraphFetchSigner: signSubgraphFetches(config.signingSecret ?? processSigningSecret()),
  };
}
