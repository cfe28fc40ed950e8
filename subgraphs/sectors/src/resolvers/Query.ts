import { auditReaderOf, parsePage } from '@cip/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  sector: (_root, { id }, { sectors }) => sectors.sectorById.load(id),
  sectors: (_root, { filter, first, after }, { sectors }, info) =>
    sectors.listSectors(filter, parsePage({ first, after }, info)),
  sectorAuditLog: (_root, { sectorId, first, after }, context, info) =>
    context.sectorWrites.auditLog(sectorId, parsePage({ first, after }), auditReaderOf(context, info)),
  exportSectors: (_root, { format }, { sectorBulk }) => sectorBulk.export(format),
};
