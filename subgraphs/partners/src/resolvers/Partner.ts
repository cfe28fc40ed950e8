import { parsePage } from '@cip/subgraph-kit';
import type { PartnerResolvers } from '../__generated__/resolvers-types.js';

export const Partner: PartnerResolvers = {
  __resolveReference: ({ id }, { partners }) => partners.partnerById.load(id),
  members: ({ id }, { first, after }, { partners }, info) =>
    partners.membersOf.load({ parentId: id, page: parsePage({ first, after }, info) }),
  memberOf: ({ id }, _args, { partners }) => partners.membershipsOf.load(id),
  bodies: ({ id }, _args, { partners }) => partners.bodiesOf.load(id),
  pointsOfContact: ({ id }, _args, { partners }) => partners.pointsOfContactOf.load(id),
};
