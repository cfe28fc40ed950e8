import type { SectorChangeResolvers } from '../__generated__/resolvers-types.js';

export const SectorChange: SectorChangeResolvers = {
  // Read when the event is sent (a fresh context per event): the record as committed.
  sector: ({ kind, id }, _args, { sectors }) => (kind === 'DELETED' ? null : sectors.sectorById.load(id)),
};
