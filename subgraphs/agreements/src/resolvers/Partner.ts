import { parsePage } from '@cip/subgraph-kit';
import type { PartnerResolvers } from '../__generated__/resolvers-types.js';

export const Partner: PartnerResolvers = {
  // Which partners exist is the partners office's knowledge: any id is a partner of no agreement yet.
  __resolveReference: ({ id }) => ({ id }),
  agreements: ({ id }, { first, after }, { agreements }, info) =>
    agreements.agreementsOfParty.load({ parentId: id, page: parsePage({ first, after }, info) }),
};
