import type { ThreatFocusAreaChangeResolvers } from '../__generated__/resolvers-types.js';

export const ThreatFocusAreaChange: ThreatFocusAreaChangeResolvers = {
  // Read when the event is sent (a fresh context per event): the record as committed.
  threatFocusArea: ({ kind, id }, _args, { threatFocusAreas }) =>
    kind === 'DELETED' ? null : threatFocusAreas.threatFocusAreaById.load(id),
};
