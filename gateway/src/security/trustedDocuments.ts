import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { errorCodes, refusal } from '@cip/core';
import { Kind, parse } from 'graphql';
import type { GatewayContext } from '../context.js';
import { isAnalyst } from './callers.js';
import { ANONYMOUS } from './jwt.js';
import { refuseAtResolution } from './limits.js';

/**
 * `off`: documents by hash come only from APQ. `allow`: trusted documents can also be sent by hash.
 * `enforce`: callers without the analyst scope may send only trusted documents (by hash, or the
 * document itself when it is a trusted one).
 */
export type TrustedDocumentsMode = 'off' | 'allow' | 'enforce';

/** Apollo's persisted query manifest format, as `npm run codegen` writes it. */
interface Manifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: { id: string; name: string; type: string; body: string }[];
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads the manifest into hash -> document, checking that each hash is the document's sha256. */
export async function readTrustedDocuments(path: string): Promise<ReadonlyMap<string, string>> {
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  if (manifest.format !== 'apollo-persisted-query-manifest' || manifest.version !== 1)
    throw new Error(`${path} is not an apollo-persisted-query-manifest, version 1.`);
  const documents = new Map<string, string>();
  for (const { id, body, name } of manifest.operations) {
    if (sha256(body) !== id) throw new Error(`${path}: the id of operation ${name} is not the sha256 of its body.`);
    documents.set(id, body);
  }
  return documents;
}

/**
 * The names of the operations in the trusted documents: names an operator registered, where any
 * other name is the client's choice (metrics label only these; observability/metrics.ts).
 */
export function trustedOperationNames(documents: ReadonlyMap<string, string>): ReadonlySet<string> {
  const names = new Set<string>();
  for (const body of documents.values()) {
    for (const definition of parse(body).definitions)
      if (definition.kind === Kind.OPERATION_DEFINITION && definition.name) names.add(definition.name.value);
  }
  return names;
}

function persistedHash(extensions: Record<string, unknown> | undefined): string | undefined {
  const persisted = extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/**
 * Apollo answers an APQ miss with HTTP 200; every refused request here is a 4xx, the registry's
 * status for PERSISTED_QUERY_NOT_FOUND (clients retry with the full document on the error code,
 * whatever the status). Apollo's PERSISTED_QUERY_NOT_SUPPORTED cannot occur: APQ is always on here
 * (shared-state/).
 */
const apqMissIsABadRequest: GraphQLRequestListener<GatewayContext> = {
  async willSendResponse({ response }) {
    if (response.body.kind !== 'single' || response.body.singleResult.data !== undefined) return;
    const codes = (response.body.singleResult.errors ?? []).map((error) => error.extensions?.code);
    if (codes.includes('PERSISTED_QUERY_NOT_FOUND')) response.http.status = errorCodes.PERSISTED_QUERY_NOT_FOUND.status;
  },
};

/**
 * Serves trusted documents by hash, and in `enforce` mode refuses any other document from callers
 * without the analyst scope, before it is even parsed. APQ keeps working for everyone else.
 */
export function trustedDocumentsPlugin(
  mode: TrustedDocumentsMode,
  documents: ReadonlyMap<string, string>,
  analystScope: string,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart(requestContext) {
      const { request, contextValue } = requestContext;
      if (mode === 'off') return apqMissIsABadRequest;
      const hash = persistedHash(request.extensions);
      const trusted = hash === undefined ? undefined : documents.get(hash);
      if (request.query === undefined && trusted !== undefined) request.query = trusted;
      if (mode !== 'enforce' || isAnalyst(contextValue.caller ?? ANONYMOUS, analystScope)) return apqMissIsABadRequest;
      if (request.query === undefined) {
        return refuseAtResolution(
          requestContext,
          refusal('PERSISTED_QUERY_NOT_FOUND', 'No trusted document has this hash.'),
        );
      }
      if (!documents.has(sha256(request.query))) {
        return refuseAtResolution(
          requestContext,
          refusal(
            'OPERATION_NOT_TRUSTED',
            'Only trusted documents are accepted here: send a trusted document by its hash, or use a token with the analyst scope.',
          ),
        );
      }
      return apqMissIsABadRequest;
    },
  };
}
