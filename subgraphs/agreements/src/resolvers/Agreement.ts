import type { AgreementResolvers } from '../__generated__/resolvers-types.js';

// Parties, focus areas and sectors are answered as bare references: the gateway fetches the rest of
// each from the office that owns it.
export const Agreement: AgreementResolvers = {
  __resolveReference: ({ id }, { agreements }) => agreements.agreementById.load(id),
  parties: ({ id }, _args, { agreements }) => agreements.partiesOf.load(id),
  threatFocusAreas: ({ id }, _args, { agreements }) => agreements.focusAreasOf.load(id),
  sectors: ({ id }, _args, { agreements }) => agreements.sectorsOf.load(id),
};
