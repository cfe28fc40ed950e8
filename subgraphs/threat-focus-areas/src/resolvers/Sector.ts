import type { SectorResolvers } from '../__generated__/resolvers-types.js';

export const Sector: SectorResolvers = {
  // The sectors office owns sectors; here any id is a sector, and one no focus area touches has none.
  __resolveReference: ({ id }) => ({ id }),
  threatFocusAreas: ({ id }, _args, { threatFocusAreas }) => threatFocusAreas.focusAreasOfSector.load(id),
};
