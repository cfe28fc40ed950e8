import type { Resolvers } from '../__generated__/resolvers-types.js';
import { CascadeStep } from './CascadeStep.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { SectorChange } from './SectorChange.js';
import { Sector } from './Sector.js';
import { SectorDependency } from './SectorDependency.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  SectorChange,
  Sector,
  SectorDependency,
  CascadeStep,
};
