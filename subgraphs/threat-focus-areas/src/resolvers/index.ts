import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { ThreatFocusAreaChange } from './ThreatFocusAreaChange.js';
import { Sector } from './Sector.js';
import { ThreatFocusArea } from './ThreatFocusArea.js';

export const resolvers: Resolvers = { Query, Mutation, Subscription, ThreatFocusAreaChange, ThreatFocusArea, Sector };
