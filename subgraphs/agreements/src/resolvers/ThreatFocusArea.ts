import { parsePage } from '@cip/subgraph-kit';
import type { ThreatFocusAreaResolvers } from '../__generated__/resolvers-types.js';

export const ThreatFocusArea: ThreatFocusAreaResolvers = {
  // Which focus areas exist is the threat-focus-areas office's knowledge: any id is one no agreement addresses yet.
  __resolveReference: ({ id }) => ({ id }),
  agreements: ({ id }, { first, after }, { agreements }, info) =>
    agreements.agreementsOfFocusArea.load({ parentId: id, page: parsePage({ first, after }, info) }),
};
