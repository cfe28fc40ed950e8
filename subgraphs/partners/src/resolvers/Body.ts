import type { BodyResolvers } from '../__generated__/resolvers-types.js';

export const Body: BodyResolvers = {
  advises: ({ advisesId }, _args, { partners }) => (advisesId === null ? null : partners.bodyById.load(advisesId)),
};
