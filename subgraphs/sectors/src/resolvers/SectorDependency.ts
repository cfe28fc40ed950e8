import type { SectorDependencyResolvers } from '../__generated__/resolvers-types.js';

export const SectorDependency: SectorDependencyResolvers = {
  // The foreign key guarantees the sector exists.
  sector: ({ sectorId }, _args, { sectors }) => sectors.sectorById.load(sectorId).then((sector) => sector!),
};
