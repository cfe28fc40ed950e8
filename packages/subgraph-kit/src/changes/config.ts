import { defineSection, envDocs, envVar } from '@cip/core';

/** How an office serves its live changes (docs/live-changes.md). */
export interface SubscriptionSettings {
  /** Subscriptions one socket may hold at once; one more is refused with `CHANGE_SUBSCRIPTION_LIMIT`. */
  readonly maxPerConnection: number;
  /** Changes a subscriber may have waiting; one more drops it with `CHANGE_BACKLOG_EXCEEDED`. */
  readonly maxBufferedEvents: number;
}

/** The defaults: the gateway opens one office socket per client subscription, so a handful is plenty. */
export const DEFAULT_SUBSCRIPTION_SETTINGS: SubscriptionSettings = { maxPerConnection: 10, maxBufferedEvents: 1_000 };

export const subscriptionsSection = defineSection({
  shape: {
    OFFICE_SUBSCRIPTIONS_PER_CONNECTION: envVar
      .positiveInt(DEFAULT_SUBSCRIPTION_SETTINGS.maxPerConnection)
      .register(envDocs, { description: 'subscriptions one WebSocket connection to the office may hold at once' }),
    OFFICE_SUBSCRIPTION_BUFFERED_EVENTS: envVar
      .positiveInt(DEFAULT_SUBSCRIPTION_SETTINGS.maxBufferedEvents)
      .register(envDocs, {
        description: 'changes a subscriber may have waiting before it is dropped (it reads too slowly)',
      }),
  },
  build: (values): SubscriptionSettings => ({
    maxPerConnection: values.OFFICE_SUBSCRIPTIONS_PER_CONNECTION,
    maxBufferedEvents: values.OFFICE_SUBSCRIPTION_BUFFERED_EVENTS,
  }),
});
