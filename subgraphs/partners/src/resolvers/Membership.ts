import type { MembershipResolvers } from '../__generated__/resolvers-types.js';

export const Membership: MembershipResolvers = {
  // The foreign key guarantees the organization exists.
  organization: ({ organizationId }, _args, { partners }) =>
    partners.partnerById.load(organizationId).then((organization) => organization!),
};
