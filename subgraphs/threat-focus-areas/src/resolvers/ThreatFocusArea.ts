import type { ThreatFocusAreaResolvers } from '../__generated__/resolvers-types.js';

export const ThreatFocusArea: ThreatFocusAreaResolvers = {
  __resolveReference: ({ id }, { threatFocusAreas }) => threatFocusAreas.threatFocusAreaById.load(id),
  affectedSectors: ({ id }, _args, { threatFocusAreas }) => threatFocusAreas.affectedSectorsOf.load(id),
  assessment: ({ id }, _args, { threatFocusAreas }) => threatFocusAreas.assessmentOf.load(id),
};
