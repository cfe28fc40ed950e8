import { changeSubscription } from '@cip/subgraph-kit';
import type { AgreementsContext } from '../context.js';
import type { SubscriptionAgreementChangedArgs, SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { agreementRecord } from '../datasources/agreementRecord.js';

export const Subscription: SubscriptionResolvers = {
  agreementChanged: changeSubscription<SubscriptionAgreementChangedArgs, AgreementsContext>({
    entityType: agreementRecord.entityType,
    // Matched against the agreement as committed; an archive is announced to whoever watched it.
    accept: (change, { filter }, { agreements }) =>
      !filter ||
      agreements.matchesFilter(change.id, change.kind === 'ARCHIVED' ? { ...filter, includeArchived: true } : filter),
  }),
};
