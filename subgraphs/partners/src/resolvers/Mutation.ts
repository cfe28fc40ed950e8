import { actorOf } from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import { checkArchivePartner, checkCreatePartner, checkUpdatePartner } from '../datasources/partnerInput.js';
import type { PartnersContext } from '../context.js';
import type { PartnerRow } from '../datasources/partners.js';

/**
 * The partner as committed: the request's loader may hold the version read before the write
 * (mutations run one after another, so clearing here is enough).
 */
async function committed({ partners }: PartnersContext, id: string): Promise<PartnerRow> {
  const partner = await partners.partnerById.clear(id).load(id);
  if (!partner) throw new Error(`partner ${id} vanished after its write was committed`);
  return partner;
}

export const Mutation: MutationResolvers = {
  createPartner: async (_root, { input, idempotencyKey }, context) => {
    const partner = checkCreatePartner(input, idempotencyKey);
    const { id } = await context.partnerWrites.create(actorOf(context), partner, idempotencyKey);
    return committed(context, id);
  },
  updatePartner: async (_root, { id, expectedVersion, input }, context) => {
    const fields = checkUpdatePartner(expectedVersion, input);
    await context.partnerWrites.update(actorOf(context), id, expectedVersion, fields);
    return committed(context, id);
  },
  archivePartner: async (_root, { id, expectedVersion }, context) => {
    checkArchivePartner(expectedVersion);
    await context.partnerWrites.archive(actorOf(context), id, expectedVersion);
    return committed(context, id);
  },
  importPartners: (_root, { format, content, dryRun }, context) =>
    context.partnerBulk.import({ format, content, dryRun, actor: actorOf(context), context }),
};
