import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { UNKNOWN_CLIENT } from '@cip/schema/usage';
import type { GatewayContext } from '../context.js';
import type { ClientIdentity, RecordedRequest, UsageRecorder } from './usageRecorder.js';

/** Longer client names and versions are cut: a header must not grow the store. */
const MAX_CLIENT_LABEL = 100;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  return text ? text.slice(0, MAX_CLIENT_LABEL) : undefined;
}

/** Apollo's client headers, or the GraphQL-neutral ones; `unknown` without a name. */
export function clientIdentity(headers: IncomingHttpHeaders): ClientIdentity {
  return {
    name: header(headers, 'apollographql-client-name') ?? header(headers, 'graphql-client-name') ?? UNKNOWN_CLIENT,
    version: header(headers, 'apollographql-client-version') ?? header(headers, 'graphql-client-version') ?? '',
  };
}

/**
 * Records each operation the gateway answered. The document is taken as the client sent it, before
 * security may rewrite it (a caller's unauthorised fields removed): those fields are the client's
 * use all the same. Refused operations (a limit, an untrusted document) are not use: only an
 * answer with data is recorded, a cached one too.
 */
export function usagePlugin(recorder: UsageRecorder): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      let seen: Omit<RecordedRequest, 'client'> | undefined;
      return {
        async didResolveOperation({ source, queryHash, document, operationName, schema }) {
          seen = { hash: queryHash, text: source, document, operationName, schema };
        },
        async willSendResponse({ response }) {
          if (!seen) return;
          if (response.body.kind === 'single' && response.body.singleResult.data == null) return;
          recorder.record({ ...seen, client: clientIdentity(contextValue.req.headers) });
        },
      };
    },
  };
}
