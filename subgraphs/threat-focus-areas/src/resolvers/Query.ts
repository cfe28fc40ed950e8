import { auditReaderOf, parsePage } from '@cip/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  threatFocusArea: (_root, { id }, { threatFocusAreas }) => threatFocusAreas.threatFocusAreaById.load(id),
  threatFocusAreas: (_root, { filter, first, after }, { threatFocusAreas }, info) =>
    threatFocusAreas.listThreatFocusAreas(filter, parsePage({ first, after }, info)),
  threatFocusAreaAuditLog: (_root, { threatFocusAreaId, first, after }, context, info) =>
    context.threatFocusAreaWrites.auditLog(
      threatFocusAreaId,
      parsePage({ first, after }),
      auditReaderOf(context, info),
    ),
  exportThreatFocusAreas: (_root, { format }, { threatFocusAreaBulk }) => threatFocusAreaBulk.export(format),
};
