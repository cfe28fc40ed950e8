import {
  actorOf,
  checkArchiveInput,
  checkCreateInput,
  checkUpdateInput,
  peersOf,
  idempotencyKeyOf,
} from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import type { AgreementsContext } from '../context.js';
import { agreementRecord } from '../datasources/agreementRecord.js';
import type { AgreementRow } from '../datasources/agreements.js';

/**
 * The agreement as committed: the request's loaders may hold what was read before the write
 * (mutations run one after another, so clearing here is enough).
 */
async function committed({ agreements }: AgreementsContext, id: string): Promise<AgreementRow> {
  agreements.partiesOf.clear(id);
  agreements.focusAreasOf.clear(id);
  agreements.sectorsOf.clear(id);
  const agreement = await agreements.agreementById.clear(id).load(id);
  if (!agreement) throw new Error(`agreement ${id} vanished after its write was committed`);
  return agreement;
}

/** The audit log's actor and the offices to check references with, both from the gateway-signed request. */
const writer = (context: AgreementsContext) => ({ actor: actorOf(context), peers: peersOf(context) });

export const Mutation: MutationResolvers = {
  createAgreement: async (_root, { input, idempotencyKey }, context) => {
    const agreement = checkCreateInput(agreementRecord, input, idempotencyKey);
    const { id } = await context.agreementWrites.create(
      writer(context),
      agreement,
      idempotencyKeyOf(context, idempotencyKey),
    );
    return committed(context, id);
  },
  archiveAgreement: async (_root, { id, expectedVersion }, context) => {
    checkArchiveInput(expectedVersion);
    await context.agreementWrites.archive(actorOf(context), id, expectedVersion);
    return committed(context, id);
  },
  updateAgreement: async (_root, { id, expectedVersion, input }, context) => {
    const fields = checkUpdateInput(agreementRecord, expectedVersion, input);
    await context.agreementWrites.update(actorOf(context), id, expectedVersion, fields);
    return committed(context, id);
  },
  addAgreementParty: async (_root, { agreementId, partnerId, expectedVersion }, context) => {
    await context.agreementWrites.add(writer(context), 'party', agreementId, partnerId, expectedVersion);
    return committed(context, agreementId);
  },
  removeAgreementParty: async (_root, { agreementId, partnerId, expectedVersion }, context) => {
    await context.agreementWrites.remove(writer(context), 'party', agreementId, partnerId, expectedVersion);
    return committed(context, agreementId);
  },
  addAgreementThreatFocusArea: async (_root, { agreementId, threatFocusAreaId, expectedVersion }, context) => {
    await context.agreementWrites.add(
      writer(context),
      'threatFocusArea',
      agreementId,
      threatFocusAreaId,
      expectedVersion,
    );
    return committed(context, agreementId);
  },
  removeAgreementThreatFocusArea: async (_root, { agreementId, threatFocusAreaId, expectedVersion }, context) => {
    await context.agreementWrites.remove(
      writer(context),
      'threatFocusArea',
      agreementId,
      threatFocusAreaId,
      expectedVersion,
    );
    return committed(context, agreementId);
  },
  addAgreementSector: async (_root, { agreementId, sectorId, expectedVersion }, context) => {
    await context.agreementWrites.add(writer(context), 'sector', agreementId, sectorId, expectedVersion);
    return committed(context, agreementId);
  },
  removeAgreementSector: async (_root, { agreementId, sectorId, expectedVersion }, context) => {
    await context.agreementWrites.remove(writer(context), 'sector', agreementId, sectorId, expectedVersion);
    return committed(context, agreementId);
  },
  importAgreements: (_root, { format, content, dryRun }, context) =>
    context.agreementBulk.import({ format, content, dryRun, actor: actorOf(context), context }),
};
