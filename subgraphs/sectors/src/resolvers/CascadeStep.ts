import type { CascadeStepResolvers } from '../__generated__/resolvers-types.js';

// Cascade steps come from the dependency graph, whose foreign keys guarantee every sector exists.
export const CascadeStep: CascadeStepResolvers = {
  sector: ({ sectorId }, _args, { sectors }) => sectors.sectorById.load(sectorId).then((sector) => sector!),
  path: ({ path }, _args, { sectors }) =>
    sectors.sectorById.loadMany(path).then((found) =>
      found.map((sector) => {
        if (sector instanceof Error) throw sector;
        return sector!;
      }),
    ),
};
