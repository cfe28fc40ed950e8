import { changeSubscription } from '@cip/subgraph-kit';
import type { PartnersContext } from '../context.js';
import type { SubscriptionPartnerChangedArgs, SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { partnerRecord } from '../datasources/partnerRecord.js';

export const Subscription: SubscriptionResolvers = {
  partnerChanged: changeSubscription<SubscriptionPartnerChangedArgs, PartnersContext>({
    entityType: partnerRecord.entityType,
  }),
};
