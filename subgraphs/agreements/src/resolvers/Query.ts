import { auditReaderOf, parsePage } from '@cip/subgraph-kit';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';

export const Query: QueryResolvers = {
  agreement: (_root, { id }, { agreements }) => agreements.agreementById.load(id),
  agreements: (_root, { filter, first, after }, { agreements }, info) =>
    agreements.listAgreements(filter, parsePage({ first, after }, info)),
  agreementAuditLog: (_root, { agreementId, first, after }, context, info) =>
    context.agreementWrites.auditLog(agreementId, parsePage({ first, after }), auditReaderOf(context, info)),
  exportAgreements: (_root, { format }, { agreementBulk }) => agreementBulk.export(format),
};
