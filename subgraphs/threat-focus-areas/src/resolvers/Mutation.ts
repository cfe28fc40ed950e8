import { actorOf, peersOf } from '@cip/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.js';
import type { ThreatFocusAreasContext } from '../context.js';
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
  updateThreatFocusArea: async (_root, { id, expectedVersion, input }, context) => {
    await context.threatFocusAreaWrites.update(writer(context), id, expectedVersion, input);
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
};
