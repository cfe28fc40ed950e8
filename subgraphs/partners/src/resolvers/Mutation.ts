import { actorOf, checkArchiveInput, checkCreateInput, checkUpdateInput, idempotencyKeyOf } from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import type { PartnersContext } from '../context.js';
import { partnerRecord } from '../datasources/partnerRecord.js';
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
    const partner = checkCreateInput(partnerRecord, input, idempotencyKey);
    const { id } = await context.partnerWrites.create(
      actorOf(context),
      partner,
      idempotencyKeyOf(context, idempotencyKey),
    );
    return committed(context, id);
  },
  updatePartner: async (_root, { id, expectedVersion, input }, context) => {
    const fields = checkUpdateInput(partnerRecord, expectedVersion, input);
    await context.partnerWrites.update(actorOf(context), id, expectedVersion, fields);
    return committed(context, id);
  },
  archivePartner: async (_root, { id, expectedVersion }, context) => {
    checkArchiveInput(expectedVersion);
    await context.partnerWrites.archive(actorOf(context), id, expectedVersion);
    return committed(context, id);
  },
  importPartners: (_root, { format, content, dryRun }, context) =>
    context.partnerBulk.import({ format, content, dryRun, actor: actorOf(context), context }),
};
