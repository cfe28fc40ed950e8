import { defineSection, envDocs, envVar } from '@cip/core';
import { z } from 'zod';
import type { OperationLimits } from './limits.js';
import type { TrustedDocumentsMode } from './trustedDocuments.js';
import { TRUSTED_DOCUMENTS_FILE } from './trustedDocumentsFile.js';

/** Where the keys that verify bearer tokens come from: one source, or none. */
export type TokenKeys =
  | { readonly source: 'none' }
  /** RS256 / ES256 public keys in a JWKS JSON file. */
  | { readonly source: 'jwks-file'; readonly path: string }
  /** RS256 / ES256 public keys at a JWKS URL, fetched and cached by jose. */
  | { readonly source: 'jwks-url'; readonly url: string }
  /** A shared HS256 secret: for local development. */
  | { readonly source: 'hs256'; readonly secret: string };

export interface AuthSettings {
  readonly keys: TokenKeys;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly clockSkewSeconds: number;
  /** Tokens without `exp` are refused; off (AUTH_REQUIRE_EXP=false) they are accepted, with a warning at start-up. */
  readonly requireExp: boolean;
  /** The longest lifetime a token may state: `exp - iat`, or `exp - now` without `iat`. */
  readonly maxTokenLifetimeSeconds: number;
  readonly scopesClaim: string;
  /** The scope that may send ad-hoc documents in trusted-documents mode, introspect in production, see plans. */
  readonly analystScope: string;
}

export type TrustedDocumentsSettings =
  { readonly mode: 'off' } | { readonly mode: Exclude<TrustedDocumentsMode, 'off'>; readonly path: string };

/** The security concern's options (docs/security.md): tokens, signing, header propagation, trusted documents, limits. */
export interface SecuritySettings {
  readonly auth: AuthSettings;
  /** The master secret each office's signing key is derived from; undefined: this process's own (enough for the embedded stack). */
  readonly signingSecret: string | undefined;
  readonly propagateHeaders: readonly string[];
  readonly trustedDocuments: TrustedDocumentsSettings;
  readonly limits: OperationLimits;
}

const KEY_SOURCES = ['AUTH_JWKS_FILE', 'AUTH_JWKS_URL', 'AUTH_HS256_SECRET'] as const;

const limit = (fallback: number, description: string) =>
  envVar.positiveInt(fallback).register(envDocs, { description });

export const securitySection = defineSection({
  shape: {
    AUTH_JWKS_FILE: z.string().min(1).optional().register(envDocs, {
      description: 'verify tokens with the RS256 / ES256 public keys of this JWKS file',
    }),
    AUTH_JWKS_URL: envVar.url().optional().register(envDocs, {
      description: 'verify tokens with the RS256 / ES256 public keys at this JWKS URL',
      secret: 'url',
    }),
    AUTH_HS256_SECRET: z.string().min(32, 'expected at least 32 characters').optional().register(envDocs, {
      description: 'verify tokens with this shared HS256 secret (at least 32 characters; development)',
      secret: true,
    }),
    AUTH_ISSUER: z.string().min(1).optional().register(envDocs, {
      description: 'when set, tokens must carry this `iss`',
    }),
    AUTH_AUDIENCE: z.string().min(1).optional().register(envDocs, {
      description: 'when set, tokens must carry this `aud`',
    }),
    AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(30).register(envDocs, {
      description: 'tolerance on `exp` / `nbf` / `iat`, 0 to 300',
    }),
    AUTH_REQUIRE_EXP: envVar.flag(true).register(envDocs, {
      description: 'refuse tokens without `exp`; `false` accepts them (they never expire) and warns at start-up',
    }),
    AUTH_MAX_TOKEN_LIFETIME_SECONDS: envVar.positiveInt(86_400).register(envDocs, {
      description: 'refuse tokens whose `exp` is further than this after their `iat` (or after now, without `iat`)',
    }),
    AUTH_SCOPES_CLAIM: z.string().min(1).default('scope').register(envDocs, {
      description: 'the claim holding scopes: a space-separated string or an array',
    }),
    AUTH_ANALYST_SCOPE: z.string().min(1).default('analyst').register(envDocs, {
      description: 'the scope that may send ad-hoc documents (trusted mode), introspect in production, see plans',
    }),
    GATEWAY_SIGNING_SECRET: z.string().min(32, 'expected at least 32 characters').optional().register(envDocs, {
      description:
        "the master secret (at least 32 characters) each office's signing key is derived from (`npm run signing:key -- --office <name>`); no office holds it",
      secret: true,
      shownDefault: "unset: this process's own, enough for the embedded stack",
    }),
    PROPAGATE_HEADERS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean),
      )
      .default([])
      .register(envDocs, {
        description: 'client headers copied to subgraph requests, comma-separated (never `authorization` unless named)',
      }),
    TRUSTED_DOCUMENTS: z.enum(['off', 'allow', 'enforce']).default('allow').register(envDocs, {
      description: '`off`; `allow`: trusted documents by hash; `enforce`: only trusted documents, except for analysts',
    }),
    TRUSTED_DOCUMENTS_PATH: z.string().min(1).default(TRUSTED_DOCUMENTS_FILE).register(envDocs, {
      description: 'the trusted-document manifest',
      shownDefault: 'gateway/trusted-documents.json',
    }),
    LIMIT_MAX_DEPTH: limit(12, 'deepest field nesting, fragments expanded (MAX_DEPTH_EXCEEDED)'),
    LIMIT_MAX_ALIASES: limit(30, 'most aliased fields, fragments expanded (MAX_ALIASES_EXCEEDED)'),
    LIMIT_MAX_ROOT_FIELDS: limit(20, 'most fields at the root (MAX_ROOT_FIELDS_EXCEEDED)'),
    LIMIT_MAX_DIRECTIVES: limit(30, 'most directive applications (MAX_DIRECTIVES_EXCEEDED)'),
    LIMIT_MAX_TOKENS: limit(5_000, 'most lexical tokens, counted before parsing (MAX_TOKENS_EXCEEDED)'),
    LIMIT_MAX_COST: limit(1_000_000, 'highest estimated cost (COST_LIMIT_EXCEEDED)'),
    LIMIT_MAX_BATCH: limit(10, 'most operations in one batched request; 1 turns batching off (BATCH_LIMIT_EXCEEDED)'),
    LIMIT_ASSUMED_LIST_SIZE: limit(10, 'size assumed for a list without a page-size argument'),
  },
  rules: (rule) => [
    // The verifier used to take the file, then the URL, then the secret, and say nothing of the others.
    rule.oneOf([...KEY_SOURCES], 'tokens are verified with one key source; set only one'),
    rule.onlyWith(
      [
        'AUTH_ISSUER',
        'AUTH_AUDIENCE',
        'AUTH_CLOCK_SKEW_SECONDS',
        'AUTH_REQUIRE_EXP',
        'AUTH_MAX_TOKEN_LIFETIME_SECONDS',
        'AUTH_SCOPES_CLAIM',
        'AUTH_ANALYST_SCOPE',
      ],
      [...KEY_SOURCES],
      'no token is verified without a key source, so no claim is checked',
    ),
    rule.onlyWhen(
      ['TRUSTED_DOCUMENTS_PATH'],
      'TRUSTED_DOCUMENTS',
      ['allow', 'enforce'],
      'with trusted documents off no manifest is read',
    ),
  ],
  build: (values): SecuritySettings => ({
    auth: {
      keys: values.AUTH_JWKS_FILE
        ? { source: 'jwks-file', path: values.AUTH_JWKS_FILE }
        : values.AUTH_JWKS_URL
          ? { source: 'jwks-url', url: values.AUTH_JWKS_URL }
          : values.AUTH_HS256_SECRET
            ? { source: 'hs256', secret: values.AUTH_HS256_SECRET }
            : { source: 'none' },
      issuer: values.AUTH_ISSUER,
      audience: values.AUTH_AUDIENCE,
      clockSkewSeconds: values.AUTH_CLOCK_SKEW_SECONDS,
      requireExp: values.AUTH_REQUIRE_EXP,
      maxTokenLifetimeSeconds: values.AUTH_MAX_TOKEN_LIFETIME_SECONDS,
      scopesClaim: values.AUTH_SCOPES_CLAIM,
      analystScope: values.AUTH_ANALYST_SCOPE,
    },
    signingSecret: values.GATEWAY_SIGNING_SECRET,
    propagateHeaders: values.PROPAGATE_HEADERS,
    trustedDocuments:
      values.TRUSTED_DOCUMENTS === 'off'
        ? { mode: 'off' }
        : { mode: values.TRUSTED_DOCUMENTS, path: values.TRUSTED_DOCUMENTS_PATH },
    limits: {
      maxDepth: values.LIMIT_MAX_DEPTH,
      maxAliases: values.LIMIT_MAX_ALIASES,
      maxRootFields: values.LIMIT_MAX_ROOT_FIELDS,
      maxDirectives: values.LIMIT_MAX_DIRECTIVES,
      maxTokens: values.LIMIT_MAX_TOKENS,
      maxCost: values.LIMIT_MAX_COST,
      maxBatch: values.LIMIT_MAX_BATCH,
      assumedListSize: values.LIMIT_ASSUMED_LIST_SIZE,
    },
  }),
});
