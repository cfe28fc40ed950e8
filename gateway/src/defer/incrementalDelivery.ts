import type {
  ApolloServerPlugin,
  GraphQLExperimentalFormattedIncrementalDeferResultAlpha2,
  GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from '@apollo/server';
import { isBatchedRequest } from '@cip/core';
import type { DeferredPartSink, IncrementalDelivery as ExecutorDelivery, SubsequentPayload } from '@cip/plan-executor';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.js';
import { acceptsDeferSpec20220824 } from './acceptNegotiation.js';

type SubsequentResult = GraphQLExperimentalFormattedSubsequentIncrementalExecutionResultAlpha2;
type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
type Listener = GraphQLRequestListener<GatewayContext>;

/** A thrown value as a GraphQLError, as Apollo Server's `ensureGraphQLError` makes one. */
function ensureGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const cause = error instanceof Error ? error : new Error(`Unexpected error value: ${String(error)}`);
  return new GraphQLError(cause.message, { originalError: cause });
}

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
  /** For `installFastExecutor`: which requests take deferred parts streamed, and where their parts go. */
  executor: ExecutorDelivery;
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
 * those); every other deferred operation is run as if written without `@defer`, and gets exactly
 * that answer, in one ordinary response.
 */
export function incrementalDelivery(options: IncrementalDeliveryOptions): IncrementalDelivery {
  // One operation per context when streaming: batches (one context for several operations) never are.
  const channels = new WeakMap<GatewayContext, PartChannel>();
  const listeners = new WeakMap<object, Listener[]>();

  // As Apollo Server's `normalizeAndFormatErrors` (not exported) treats the initial payload's errors.
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
    requestContext: GraphQLRequestContextWillSendResponse<GatewayContext>,
  ): AsyncGenerator<SubsequentResult> {
    const hooks = listeners.get(requestContext) ?? [];
    for await (const payload of channel.payloads()) {
      const incremental: GraphQLExperimentalFormattedIncrementalDeferResultAlpha2[] = [];
      for (const part of payload.incremental ?? []) {
        if (part.errors) {
          const errors = part.errors.map(ensureGraphQLError);
          await Promise.all(
            hooks.flatMap((hook) =>
              hook.didEncounterSubsequentErrors ? [hook.didEncounterSubsequentErrors(requestContext, errors)] : [],
            ),
          );
        }
        incremental.push({
          data: part.data,
          path: part.path,
          ...(part.label === undefined ? {} : { label: part.label }),
          ...(part.errors ? { errors: formatErrors(part.errors.map(ensureGraphQLError)) } : {}),
          ...(part.extensions ? { extensions: part.extensions } : {}),
        });
      }
      const result: SubsequentResult = {
        hasNext: payload.hasNext,
        ...(incremental.length > 0 ? { incremental } : {}),
      };
      await Promise.all(
        hooks.flatMap((hook) =>
          hook.willSendSubsequentPayload ? [hook.willSendSubsequentPayload(requestContext, result)] : [],
        ),
      );
      yield result;
    }
  }

  return {
    executor: {
      accepts(requestContext) {
        const context = requestContext.context as GatewayContext;
        return (
          acceptsDeferSpec20220824(requestContext.request.http?.headers.get('accept')) && !isBatchedRequest(context.req)
        );
      },
      open(requestContext) {
        const channel = new PartChannel();
        channels.set(requestContext.context as GatewayContext, channel);
        return channel;
      },
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
                  // Pulled once the initial payload is written: after willSendResponse, on this same context.
                  subsequentResults: subsequentResults(
                    channel,
                    requestContext as GraphQLRequestContextWillSendResponse<GatewayContext>,
                  ),
                };
              },
            };
          },
        };
      },
    },
  };
}
