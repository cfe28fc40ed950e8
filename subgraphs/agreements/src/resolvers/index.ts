import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Agreement } from './Agreement.js';
import { Mutation } from './Mutation.js';
import { Partner } from './Partner.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { AgreementChange } from './AgreementChange.js';
import { Sector } from './Sector.js';
import { ThreatFocusArea } from './ThreatFocusArea.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  AgreementChange,
  Agreement,
  Partner,
  Sector,
  ThreatFocusArea,
};
