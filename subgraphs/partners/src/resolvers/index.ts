import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Body } from './Body.js';
import { Membership } from './Membership.js';
import { Mutation } from './Mutation.js';
import { Partner } from './Partner.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { PartnerChange } from './PartnerChange.js';

export const resolvers: Resolvers = { Query, Mutation, Subscription, PartnerChange, Partner, Membership, Body };
