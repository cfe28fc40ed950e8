import type { IncomingHttpHeaders } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { GATEWAY_CLAIMS_HEADER, type ErrorCode, type Logger } from '@cip/core';
import type { OfficeEvent, SubscriptionExecutor } from '@cip/plan-executor';
import type { FetchNode, PlanNode } from '@apollo/query-planner';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from '../context.js';
import type { SubgraphFetchSigner } from '../execution/subgraphDataSource.js';
import { deniedErrors, restoreShape } from '../security/authorization.js';
import { ANONYMOUS } from '../security/jwt.js';
import { callerClaims } from '../security/subgraphSignature.js';
import type { SubscriptionSettings } from './config.js';
import { EventQueue } from './eventQueue.js';
import { subscribeToOffice } from './officeSubscription.js';
import type { DropReason, SubscriptionMetrics, Transport } from './subscriptionMetrics.js';
import type { PreparedSubscription } from './subscriptionPlugin.js';

/** What every live subscription needs from the gateway (index.ts assembles it). */
export interface LiveDeps {
  readonly apollo: ApolloServer<GatewayContext>;
  readonly executor: SubscriptionExecutor;
  /** The URL the gateway routes a subgraph to (as its HTTP fetches do); undefined for one it does not serve. */
  readonly officeUrl: (office: string) => string | undefined;
  readonly signer: SubgraphFetchSigner;
  readonly settings: SubscriptionSettings;
  /** Time other offices' fetches of one event may take (REQUEST_DEADLINE_MS). */
  readonly eventDeadlineMs: number;
  /** The gateway's own error formatting (errors/errorFormatting.ts): events show what answers show. */
  readonly formatError: (error: GraphQLFormattedError) => GraphQLFormattedError;
  readonly metrics: SubscriptionMetrics;
  readonly logger: Logger;
  /** Every subscription open now, over both transports (each adds itself and leaves when it ends). */
  readonly open: Set<LiveSubscription>;
  readonly subscriptionPlan?: (context: GatewayContext, primary: FetchNode, rest: PlanNode | undefined) => unknown;
}

/** A GraphQL request as the transports receive it. */
export interface StreamedRequest {
  query?: string | undefined;
  variables?: Record<string, unknown> | null | undefined;
  operationName?: string | null | undefined;
  extensions?: Record<string, unknown> | null | undefined;
}

/** A live subscription, or the one answer of anything else (a refusal, a query's result). */
export type Opening =
  | { readonly live: LiveSubscription; readonly answer?: undefined }
  | { readonly live?: undefined; readonly answer: FormattedExecutionResult; readonly status: number };

/** A payload of errors only, each with its code (and more in `extensions`). */
export function errorPayload(
  code: string,
  message: string,
  extensions: Record<string, unknown> = {},
): FormattedExecutionResult {
  return { errors: [{ message, extensions: { ...extensions, code } }] };
}

function parseAnswer(text: string): FormattedExecutionResult {
  try {
    return JSON.parse(text) as FormattedExecutionResult;
  } catch {
    return errorPayload('INTERNAL_SERVER_ERROR', 'Internal server error.');
  }
}

/** The request as a POST body: members that are absent or null left out, as Apollo wants them. */
function requestBody(request: StreamedRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) if (value !== undefined && value !== null) body[key] = value;
  return body;
}

/**
 * Runs a request that came over WebSocket or SSE through Apollo's pipeline, with the headers it came
 * with (CSRF prevention and every plugin see what they see for a POST); a subscription comes back
 * prepared (subscriptionPlugin.ts) and starts streaming, anything else comes back answered.
 */
export async function openOperation(
  deps: LiveDeps,
  transport: Transport,
  request: StreamedRequest,
  context: GatewayContext,
  headers: IncomingHttpHeaders,
  /** Drops a client that is too slow; returns the last payload to end its stream with, if it can still take one. */
  onTooSlow: (live: LiveSubscription) => FormattedExecutionResult | undefined,
): Promise<Opening> {
  const headerMap = new HeaderMap();
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) headerMap.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  // A WebSocket's upgrade has no body type; the message it brings is JSON, as a POST's would be.
  if (!headerMap.has('content-type')) headerMap.set('content-type', 'application/json');
  // What the pipeline answers is read here, not by the client (whose Accept names the event stream).
  headerMap.set('accept', 'application/json');
  const slot: NonNullable<GatewayContext['subscription']> = {};
  context.subscription = slot;
  const response = await deps.apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers: headerMap, search: '', body: requestBody(request) },
    context: () => Promise.resolve(context),
  });
  const status = response.status ?? 200;
  if (slot.prepared && status === 200) {
    const live = new LiveSubscription(deps, transport, slot.prepared, context, onTooSlow);
    return { live };
  }
  if (response.body.kind === 'complete') return { answer: parseAnswer(response.body.string), status };
  // An incremental answer (@defer) over a streaming transport: read whole, sent as one.
  let text = '';
  for await (const chunk of response.body.asyncIterator) text += chunk;
  return { answer: parseAnswer(text), status };
}

/**
 * One client's subscription: its own connection to the owning office, and, for every event, the
 * rest of the plan (other offices' fields, for the same caller), the caller's field rules, then
 * the payload into the client's bounded queue (`events`, which the transport reads).
 */
export class LiveSubscription {
  readonly events: EventQueue<FormattedExecutionResult>;
  private readonly stopOffice: () => void;

  constructor(
    private readonly deps: LiveDeps,
    readonly transport: Transport,
    private readonly prepared: PreparedSubscription,
    private readonly context: GatewayContext,
    onTooSlow: (live: LiveSubscription) => FormattedExecutionResult | undefined,
  ) {
    const { primary, primaryVariables } = prepared.planned;
    const office = primary.serviceName;
    deps.metrics.open.inc({ transport });
    let stopped = false;
    let stopOffice = () => {
      stopped = true;
    };
    this.events = new EventQueue<FormattedExecutionResult>(
      deps.settings.maxBufferedEvents,
      () => {
        deps.metrics.dropped.inc({ transport, reason: 'too_slow' });
        return onTooSlow(this);
      },
      () => {
        deps.metrics.open.dec({ transport });
        deps.open.delete(this);
        stopOffice();
      },
    );
    deps.open.add(this);
    const url = deps.officeUrl(office);
    if (!url) {
      this.events.end(
        errorPayload('SUBGRAPH_UNREACHABLE', `The gateway routes to no ${office} office.`, { subgraph: office }),
      );
      this.stopOffice = () => undefined;
      return;
    }
    let plan = deps.subscriptionPlan?.(
      prepared.requestContext.context as GatewayContext,
      primary,
      prepared.planned.rest,
    );
    const sign = deps.signer(office, url);
    const caller = context.caller ?? ANONYMOUS;
    const claims = callerClaims(caller);
    const requestId = context.requestId;
    stopOffice = subscribeToOffice(
      {
        office,
        url,
        upgradeHeaders: () =>
          sign({
            method: 'GET',
            headers: { [GATEWAY_CLAIMS_HEADER]: claims, ...(requestId ? { 'x-request-id': requestId } : {}) },
            body: '',
          }).headers ?? {},
        payload: {
          query: primary.operation,
          variables: primaryVariables,
          ...(primary.operationName === undefined ? {} : { operationName: primary.operationName }),
        },
        resubscribe: {
          baseMs: deps.settings.resubscribeBaseMs,
          maxMs: deps.settings.resubscribeMaxMs,
          attempts: deps.settings.resubscribeAttempts,
        },
      },
      {
        next: (event) => {
          deps.metrics.events.inc({ transport });
          // The plan, when asked for, rides on the first event (explorer/queryPlans.ts).
          const queryPlan = plan;
          plan = undefined;
          this.events.push(
            queryPlan === undefined
              ? this.payloadOf(event)
              : this.payloadOf(event).then((payload) => ({
                  ...payload,
                  extensions: { ...payload.extensions, queryPlan },
                })),
          );
        },
        gap: (since, until) => {
          deps.metrics.gaps.inc({ office });
          this.events.push(
            errorPayload(
              'SUBSCRIPTION_GAP',
              `The connection to the ${office} office dropped and was made again: events between these times may be missing.`,
              { office, since: since.toISOString(), until: until.toISOString() },
            ),
          );
        },
        error: (errors) => this.events.end({ errors: errors.map(deps.formatError) }),
        complete: () => this.events.end(),
      },
    );
    // Ended before the office was asked (a queue ended in its constructor never is).
    if (stopped) stopOffice();
    this.stopOffice = stopOffice;
  }

  /** Ends the subscription after what is queued, with a last payload saying why (`code`), counted as dropped. */
  drop(reason: DropReason, code: ErrorCode, message: string): void {
    this.deps.metrics.dropped.inc({ transport: this.transport, reason });
    this.events.end(errorPayload(code, message));
    this.stopOffice();
  }

  /** One event as the client receives it: the rest of the plan run on it, the caller's field rules applied. */
  private async payloadOf(event: OfficeEvent): Promise<FormattedExecutionResult> {
    const { planned, authorized } = this.prepared;
    try {
      // Each event is a request of its own to the other offices: its own deadline, its own metrics.
      const context: GatewayContext = { ...this.context, deadline: Date.now() + this.deps.eventDeadlineMs };
      const result = await this.deps.executor.resolveEvent(planned, event, {
        ...this.prepared.requestContext,
        context,
        metrics: {},
      } as typeof this.prepared.requestContext);
      const denied = authorized && authorized.denied.length > 0 ? authorized : undefined;
      const data = denied ? restoreShape(result.data, denied) : result.data;
      const errors = [
        ...(result.errors ?? []).map((error) => this.deps.formatError(error.toJSON())),
        ...(denied ? deniedErrors(denied) : []),
      ];
      return { ...(data === undefined ? {} : { data }), ...(errors.length > 0 ? { errors } : {}) };
    } catch (error) {
      this.deps.logger.error({ err: error }, 'subscription event failed');
      return errorPayload('INTERNAL_SERVER_ERROR', 'Internal server error.');
    }
  }
}
