import { parsePage } from '@cip/subgraph-kit';
import type { SectorResolvers } from '../__generated__/resolvers-types.js';

export const Sector: SectorResolvers = {
  // Which sectors exist is the sectors office's knowledge: any id is a sector no agreement covers yet.
  __resolveReference: ({ id }) => ({ id }),
  agreements: ({ id }, { first, after }, { agreements }, info) =>
    agreements.agreementsOfSector.load({ parentId: id, page: parsePage({ first, after }, info) }),
};
