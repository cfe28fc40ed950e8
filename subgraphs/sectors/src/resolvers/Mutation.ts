import { actorOf, checkArchiveInput, checkCreateInput, checkUpdateInput, idempotencyKeyOf } from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import type { SectorsContext } from '../context.js';
import { sectorRecord } from '../datasources/sectorRecord.js';
import type { SectorRow } from '../datasources/sectors.js';

/** The sector as committed: what the request read before the write (loaders, cascade graph) is forgotten. */
async function committed({ sectors }: SectorsContext, id: string): Promise<SectorRow> {
  sectors.forget();
  const sector = await sectors.sectorById.load(id);
  if (!sector) throw new Error(`sector ${id} vanished after its write was committed`);
  return sector;
}

export const Mutation: MutationResolvers = {
  createSector: async (_root, { input, idempotencyKey }, context) => {
    const sector = checkCreateInput(sectorRecord, input, idempotencyKey);
    const { id } = await context.sectorWrites.create(
      actorOf(context),
      sector,
      idempotencyKeyOf(context, idempotencyKey),
    );
    return committed(context, id);
  },
  updateSector: async (_root, { id, expectedVersion, input }, context) => {
    const fields = checkUpdateInput(sectorRecord, expectedVersion, input);
    await context.sectorWrites.update(actorOf(context), id, expectedVersion, fields);
    return committed(context, id);
  },
  archiveSector: async (_root, { id, expectedVersion }, context) => {
    checkArchiveInput(expectedVersion);
    await context.sectorWrites.archive(actorOf(context), id, expectedVersion);
    return committed(context, id);
  },
  addSectorDependency: async (_root, { sectorId, dependsOnId, expectedVersion, input }, context) => {
    await context.sectorWrites.addDependency(actorOf(context), sectorId, dependsOnId, expectedVersion, input);
    return committed(context, sectorId);
  },
  removeSectorDependency: async (_root, { sectorId, dependsOnId, expectedVersion }, context) => {
    await context.sectorWrites.removeDependency(actorOf(context), sectorId, dependsOnId, expectedVersion);
    return committed(context, sectorId);
  },
  importSectors: (_root, { format, content, dryRun }, context) =>
    context.sectorBulk.import({ format, content, dryRun, actor: actorOf(context), context }),
};
