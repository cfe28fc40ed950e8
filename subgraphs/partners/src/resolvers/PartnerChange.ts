import type { PartnerChangeResolvers } from '../__generated__/resolvers-types.js';

export const PartnerChange: PartnerChangeResolvers = {
  // Read when the event is sent (a fresh context per event): the record as committed.
  partner: ({ kind, id }, _args, { partners }) => (kind === 'DELETED' ? null : partners.partnerById.load(id)),
};
