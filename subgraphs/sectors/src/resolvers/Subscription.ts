import { changeSubscription } from '@cip/subgraph-kit';
import type { SectorsContext } from '../context.js';
import type { SubscriptionSectorChangedArgs, SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { sectorRecord } from '../datasources/sectorRecord.js';

export const Subscription: SubscriptionResolvers = {
  sectorChanged: changeSubscription<SubscriptionSectorChangedArgs, SectorsContext>({
    entityType: sectorRecord.entityType,
  }),
};
