import { auditReaderOf, parsePage } from '@cip/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  partner: (_root, { id }, { partners }) => partners.partnerById.load(id),
  partners: (_root, { filter, first, after }, { partners }, info) =>
    partners.listPartners(filter, parsePage({ first, after }, info)),
  partnerAuditLog: (_root, { partnerId, first, after }, context, info) =>
    context.partnerWrites.auditLog(partnerId, parsePage({ first, after }), auditReaderOf(context, info)),
  exportPartners: (_root, { format }, { partnerBulk }) => partnerBulk.export(format),
};
