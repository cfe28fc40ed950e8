import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { OperationTypeNode, type DocumentNode } from 'graphql';
import type { Counter } from 'prom-client';
import type { GatewayContext } from '../context.js';
import type { Caller } from '../security/jwt.js';
import { entityTagsOf } from './entityTags.js';
import { EVERY_ANSWER_TAG, type ResponseCacheStore } from './responseCacheStore.js';

/**
 * Answers to callers who may see the same things are the same answer: the key holds the caller's
 * scopes and subject, since field rules (security/authorization.ts) shape the answer by them.
 */
function callerFingerprint(caller: Caller | undefined): string {
  if (!caller) return 'anonymous';
  const scopes = [...caller.scopes].sort().join(' ');
  return `${String(caller.authenticated)}|${String(caller.unrestricted)}|${caller.subject ?? ''}|${scopes}`;
}

export function responseCacheKey(
  source: string,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
  caller: Caller | undefined,
): string {
  return createHash('sha256')
    .update(JSON.stringify([source, operationName ?? null, variables ?? {}, callerFingerprint(caller)]))
    .digest('hex');
}

export interface ResponseCacheOptions {
  store: ResponseCacheStore;
  ttlSeconds: number;
  lookups: Counter<'result'>;
}

/**
 * Caches whole query answers that came back without errors and whose every entity carries its
 * `id` (entityTags.ts), tagged `Type` and `Type:id`, so a write can drop the answers that show what
 * it changed. Mutations, answers with errors and requests for a query plan are never cached.
 * A mutation through the gateway invalidates, before its answer is sent, every entity its answer
 * shows and their types (a create can belong in any list of its type), or every cached answer when
 * its answer shows no entity (a bulk import's report). An answer whose computation
 * began before an invalidation of something it shows is not stored: it may be from before the write
 * (ResponseCacheStore.mark). The `x-response-cache` header says `hit`, `miss` or `bypass`.
 */
export function responseCachePlugin(options: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> {
  const { store, ttlSeconds, lookups } = options;
  // Documents whose answer could not be tagged (an entity without its id): skipped from then on, so
  // they do not pay a cache lookup and a walk of their answer on every request.
  const untaggableDocuments = new WeakSet<DocumentNode>();
  return {
    async requestDidStart() {
      let key: string | undefined;
      let since = 0;
      let hit = false;
      return {
        async responseForOperation({ operation, document, source, request, contextValue }) {
          if (operation.operation !== OperationTypeNode.QUERY || request.http?.headers.get('query-plan')) return null;
          if (untaggableDocuments.has(document)) return null;
          key = responseCacheKey(source, request.operationName, request.variables, contextValue.caller);
          // Before the answer is computed: a write invalidated from now on may not be in it.
          since = store.mark();
          const cached = await store.get(key);
          lookups.inc({ result: cached === undefined ? 'miss' : 'hit' });
          if (cached === undefined) return null;
          hit = true;
          return {
            http: { headers: new HeaderMap() },
            body: { kind: 'single', singleResult: { data: JSON.parse(cached) as Record<string, unknown> } },
          };
        },
        async willSendResponse({ response, schema, document, operation, request }) {
          response.http.headers.set('x-response-cache', hit ? 'hit' : key ? 'miss' : 'bypass');
          if (operation?.operation === OperationTypeNode.MUTATION && document && response.body.kind === 'single') {
            const { data } = response.body.singleResult;
            if (!data) return;
            // Before the answer leaves: the writer's next read, on any replica, sees the write.
            const { tags } = entityTagsOf(schema, document, operation, request.variables ?? {}, data);
            // A write that names no entity (a bulk import's report, say) may have changed anything.
            await store.invalidate(tags.size > 0 ? [...tags] : [EVERY_ANSWER_TAG]);
            return;
          }
          if (hit || key === undefined || !document || !operation || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if ((errors?.length ?? 0) > 0 || !data) return;
          const { tags, complete } = entityTagsOf(schema, document, operation, request.variables ?? {}, data);
          if (!complete) untaggableDocuments.add(document);
          if (!complete || tags.size === 0) return;
          await store.set(key, JSON.stringify(data), [...tags, EVERY_ANSWER_TAG], ttlSeconds, since);
        },
      };
    },
  };
}

/** The tags a write names: one entity per id, or every entity of the type when no id is given. */
export function invalidationTags(typename: string, ids?: readonly (string | number)[]): string[] {
  return ids === undefined ? [typename] : ids.map((id) => `${typename}:${String(id)}`);
}
