import { changeSubscription } from '@cip/subgraph-kit';
import type { ThreatFocusAreasContext } from '../context.js';
import type {
  SubscriptionThreatFocusAreaChangedArgs,
  SubscriptionResolvers,
} from '../__generated__/resolvers-types.js';
import { threatFocusAreaRecord } from '../datasources/threatFocusAreaRecord.js';

export const Subscription: SubscriptionResolvers = {
  threatFocusAreaChanged: changeSubscription<SubscriptionThreatFocusAreaChangedArgs, ThreatFocusAreasContext>({
    entityType: threatFocusAreaRecord.entityType,
  }),
};
