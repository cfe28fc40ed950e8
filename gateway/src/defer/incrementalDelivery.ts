import type {
  ApolloServerPlugin,
  GraphQLExperimentalFormattedIncrementalDeferResultAlpha2,
  GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2,
  GraphQLRequestContext,
  GraphQLRequestListener,
} from '@apollo/server';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { isBatchedRequest } from '@cip/core';
import type { DeferredPartSink, SubsequentPayload } from '@cip/plan-executor';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.js';
import { acceptsDeferSpec20220824 } from './acceptNegotiation.js';

type SubsequentResult = GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2;
type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
type Listener = GraphQLRequestListener<GatewayContext>;

/** The parts of one operation, queued from the executor to the HTTP response (which pulls them after the initial payload). */
class PartChannel implements DeferredPartSink {
  private readonly queued: SubsequentPayload[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(payload: SubsequentPayload): void {
    if (this.ended) return;
    this.queued.push(payload);
    if (!payload.hasNext) this.ended = true;
    this.wake?.();
  }

  async *payloads(): AsyncGenerator<SubsequentPayload> {
    for (;;) {
      const next = this.queued.shift();
      if (next) {
        yield next;
        if (!next.hasNext) return;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export interface IncrementalDeliveryOptions {
  /** The server's `formatError`, applied to the errors of each part as Apollo Server applies it to the initial payload's. */
  formatError: FormatError;
  includeStacktraceInErrorResponses: boolean;
}

export interface IncrementalDelivery {
  /** For `installFastExecutor`: where a deferred operation's parts go, when this request takes them streamed. */
  deferredParts(requestContext: GatewayGraphQLRequestContext): DeferredPartSink | undefined;
  /**
   * The server's plugins, each request's listeners recorded so that their `didEncounterSubsequentErrors`
   * and `willSendSubsequentPayload` hooks see each part, as Apollo Server calls them for its own @defer.
   */
  withSubsequentPayloadHooks(plugins: ApolloServerPlugin<GatewayContext>[]): ApolloServerPlugin<GatewayContext>[];
  /** Turns a deferred operation's response into a `multipart/mixed; deferSpec=20220824` one. */
  plugin: ApolloServerPlugin<GatewayContext>;
}

/**
 * @defer through the gateway, delivered as Apollo Router and Apollo Server deliver it.
 *
 * Apollo Server streams incremental results only from graphql 17's executor; from a gateway it
 * takes one result. So the executor returns the initial payload through Apollo's pipeline as
 * usual (every plugin sees it: limits, field rules, usage, metrics, query plans), and hands the
 * parts to a channel of this request. Once execution ends, this plugin turns the response into
 * Apollo's own `incremental` body (the initial payload with `hasNext: true`, then the channel's
 * parts), which Apollo Server writes as `multipart/mixed; boundary="-"; deferSpec=20220824`; each
 * part's errors are formatted as the initial payload's, and the listeners' subsequent-payload hooks
 * run on it (field rules null restricted fields there too, security/authorization.ts).
 *
 * Only requests that Apollo Server would answer with that media type are streamed (its
 * negotiation, acceptNegotiation.ts), never one operation of a batch (Apollo Server cannot stream
 * those); every other deferred operation gets one ordinary response with everything merged.
 */
export function incrementalDelivery(options: IncrementalDeliveryOptions): IncrementalDelivery {
  // One operation per context when streaming: batches (one context for several operations) never are.
  const channels = new WeakMap<GatewayContext, PartChannel>();
  const listeners = new WeakMap<object, Listener[]>();

  const formatErrors = (errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((error) => {
      const extensions: Record<string, unknown> = {
        ...error.extensions,
        code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR',
        ...(options.includeStacktraceInErrorResponses ? { stacktrace: error.stack?.split('\n') } : {}),
      };
      try {
        return options.formatError({ ...error.toJSON(), extensions }, error);
      } catch {
        return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });

  async function* subsequentResults(
    channel: PartChannel,
    requestContext: GraphQLRequestContext<GatewayContext>,
  ): AsyncGenerator<SubsequentResult> {
    const hooks = listeners.get(requestContext) ?? [];
    for await (const payload of channel.payloads()) {
      const incremental: GraphQLExperimentalFormattedIncrementalDeferResultAlpha2[] = [];
      for (const part of payload.incremental ?? []) {
        if (part.errors) {
          const errors = part.errors;
          await Promise.all(hooks.map((hook) => hook.didEncounterSubsequentErrors?.(requestContext as never, errors)));
        }
        incremental.push({
          data: part.data,
          path: part.path,
          ...(part.label === undefined ? {} : { label: part.label }),
          ...(part.errors ? { errors: formatErrors(part.errors) } : {}),
        });
      }
      const result: SubsequentResult = {
        hasNext: payload.hasNext,
        ...(incremental.length > 0 ? { incremental } : {}),
      };
      await Promise.all(hooks.map((hook) => hook.willSendSubsequentPayload?.(requestContext as never, result)));
      yield result;
    }
  }

  return {
    deferredParts(requestContext) {
      const context = requestContext.context as GatewayContext;
      const accept = requestContext.request.http?.headers.get('accept');
      if (!acceptsDeferSpec20220824(accept) || isBatchedRequest(context.req) || channels.has(context)) return undefined;
      const channel = new PartChannel();
      channels.set(context, channel);
      return channel;
    },
    withSubsequentPayloadHooks(plugins) {
      return plugins.map((plugin) => {
        if (!plugin.requestDidStart) return plugin;
        const requestDidStart = plugin.requestDidStart.bind(plugin);
        // Its other hooks (and any state on it) through the prototype.
        const recording = Object.create(plugin) as ApolloServerPlugin<GatewayContext>;
        recording.requestDidStart = async (requestContext) => {
          const listener = await requestDidStart(requestContext);
          if (listener?.willSendSubsequentPayload || listener?.didEncounterSubsequentErrors) {
            const recorded = listeners.get(requestContext) ?? [];
            recorded.push(listener);
            listeners.set(requestContext, recorded);
          }
          return listener;
        };
        return recording;
      });
    },
    plugin: {
      async requestDidStart(requestContext) {
        return {
          async executionDidStart() {
            return {
              async executionDidEnd() {
                const channel = channels.get(requestContext.contextValue);
                const body = requestContext.response.body;
                if (!channel || body?.kind !== 'single') return;
                // Before any willSendResponse: those that handle an incremental body see this one
                // (and the response cache, which stores only single ones, does not store a partial answer).
                const { errors, data, extensions } = body.singleResult;
                requestContext.response.body = {
                  kind: 'incremental',
                  initialResult: {
                    ...(errors ? { errors } : {}),
                    data: data ?? null,
                    ...(extensions ? { extensions } : {}),
                    hasNext: true,
                  },
                  subsequentResults: subsequentResults(channel, requestContext),
                };
              },
            };
          },
        };
      },
    },
  };
}
