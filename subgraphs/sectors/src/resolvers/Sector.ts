import type { SectorResolvers } from '../__generated__/resolvers-types.js';

export const Sector: SectorResolvers = {
  __resolveReference: ({ id }, { sectors }) => sectors.sectorById.load(id),
  dependsOn: ({ id }, _args, { sectors }) => sectors.dependenciesOf.load(id),
  dependents: ({ id }, _args, { sectors }) => sectors.dependentsOf.load(id),
  cascade: ({ id }, { maxHops }, { sectors }) => sectors.cascade(id, maxHops),
};
