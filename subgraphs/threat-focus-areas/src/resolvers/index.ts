import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Sector } from './Sector.js';
import { ThreatFocusArea } from './ThreatFocusArea.js';

export const resolvers: Resolvers = { Query, Mutation, ThreatFocusArea, Sector };
