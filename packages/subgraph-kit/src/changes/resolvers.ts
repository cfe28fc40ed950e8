import type { ChangeEvent, ChangeFeed } from './feed.js';

/** The office's change feed, from a subscription resolver's context (the office's server adds it as `changes`). */
export function changesOf(context: object): ChangeFeed {
  const feed = (context as { changes?: ChangeFeed }).changes;
  if (!feed) throw new Error('No change feed in this context: subscriptions are served over the office socket only.');
  return feed;
}

export interface ChangeSubscriptionOptions<TArgs, TContext> {
  /** The audit rows' `entity_type` of the records this field publishes, e.g. `partner`. */
  entityType: string;
  /**
   * Beyond `ids`, which changes the subscriber's arguments keep (an agreement filter), checked
   * against the record as committed; unset: all of them.
   */
  accept?: (change: ChangeEvent, args: TArgs, context: TContext) => boolean | Promise<boolean>;
}

/**
 * The resolver of an office's `<record>Changed(ids: [ID!])` field: every committed change of the
 * office's records of `entityType`, of those `ids` only when given (an empty list: none), each as
 * the `ChangeEvent` its `<Record>Change` type maps to.
 */
export function changeSubscription<
  TArgs extends { ids?: readonly string[] | null | undefined },
  TContext extends object,
>(options: ChangeSubscriptionOptions<TArgs, TContext>) {
  return {
    subscribe: async (_root: unknown, args: TArgs, context: TContext) => {
      const ids = args.ids ? new Set(args.ids) : null;
      const { accept } = options;
      return changesOf(context).subscribe({
        entityType: options.entityType,
        accept: (change) => (ids === null || ids.has(change.id)) && (accept ? accept(change, args, context) : true),
      });
    },
    resolve: (change: ChangeEvent) => change,
  };
}
