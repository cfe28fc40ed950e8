import {
  actorOf,
  checkArchiveInput,
  checkCreateInput,
  checkUpdateInput,
  peersOf,
  idempotencyKeyOf,
} from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import type { ThreatFocusAreasContext } from '../context.js';
import { threatFocusAreaRecord } from '../datasources/threatFocusAreaRecord.js';
import type { ThreatFocusAreaRow } from '../datasources/threatFocusAreas.js';

/** The audit log's actor and the offices to check references with, both from the gateway-signed request. */
const writer = (context: ThreatFocusAreasContext) => ({ actor: actorOf(context), peers: peersOf(context) });

/** The focus area as committed: the request's loaders may hold what was read before the write. */
async function committed({ threatFocusAreas }: ThreatFocusAreasContext, id: string): Promise<ThreatFocusAreaRow> {
  threatFocusAreas.affectedSectorsOf.clear(id);
  const focusArea = await threatFocusAreas.threatFocusAreaById.clear(id).load(id);
  if (!focusArea) throw new Error(`threat focus area ${id} vanished after its write was committed`);
  return focusArea;
}

export const Mutation: MutationResolvers = {
  createThreatFocusArea: async (_root, { input, idempotencyKey }, context) => {
    const focusArea = checkCreateInput(threatFocusAreaRecord, input, idempotencyKey);
    const { id } = await context.threatFocusAreaWrites.create(
      writer(context),
      focusArea,
      idempotencyKeyOf(context, idempotencyKey),
    );
    return committed(context, id);
  },
  archiveThreatFocusArea: async (_root, { id, expectedVersion }, context) => {
    checkArchiveInput(expectedVersion);
    await context.threatFocusAreaWrites.archive(writer(context), id, expectedVersion);
    return committed(context, id);
  },
  updateThreatFocusArea: async (_root, { id, expectedVersion, input }, context) => {
    const fields = checkUpdateInput(threatFocusAreaRecord, expectedVersion, input);
    await context.threatFocusAreaWrites.update(writer(context), id, expectedVersion, fields);
    return committed(context, id);
  },
  addThreatFocusAreaSector: async (_root, { id, sectorId, expectedVersion }, context) => {
    await context.threatFocusAreaWrites.changeSectors(writer(context), 'addSector', id, sectorId, expectedVersion);
    return committed(context, id);
  },
  removeThreatFocusAreaSector: async (_root, { id, sectorId, expectedVersion }, context) => {
    await context.threatFocusAreaWrites.changeSectors(writer(context), 'removeSector', id, sectorId, expectedVersion);
    return committed(context, id);
  },
  importThreatFocusAreas: (_root, { format, content, dryRun }, context) =>
    context.threatFocusAreaBulk.import({ format, content, dryRun, actor: actorOf(context), context }),
};
