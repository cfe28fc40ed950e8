import type { AgreementChangeResolvers } from '../__generated__/resolvers-types.js';

export const AgreementChange: AgreementChangeResolvers = {
  // Read when the event is sent (a fresh context per event): the record as committed.
  agreement: ({ kind, id }, _args, { agreements }) => (kind === 'DELETED' ? null : agreements.agreementById.load(id)),
};
