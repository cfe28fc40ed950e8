import { defineRecord, SOURCE_FIELD, type CreateValues, type RecordReader, type UpdateValues } from '@cip/subgraph-kit';

export const EARLIEST_SIGNED_YEAR = 1900;
export const LATEST_SIGNED_YEAR = 2100;

/** How many parties an agreement of each scope may bind; a multilateral one, any number. */
export const MAX_PARTIES: Readonly<Record<string, number>> = { BILATERAL: 2, TRILATERAL: 3 };
export const MIN_PARTIES = 2;

/** A party list the agreement's scope allows: at least two parties, and no more than its scope binds. */
function checkParties(parties: unknown, record: RecordReader): string | undefined {
  const count = (parties as readonly string[]).length;
  const scope = record('scope') as string;
  const maxParties = MAX_PARTIES[scope];
  if (count < MIN_PARTIES) return `an agreement binds at least ${MIN_PARTIES} parties`;
  if (maxParties !== undefined && count > maxParties) {
    return `a ${scope.toLowerCase()} agreement binds at most ${maxParties} parties`;
  }
  return undefined;
}

/**
 * An agreement's fields, each rule written once: the create and update checks, the columns read
 * and written, and the import and export file derive from it (agreementRecord.test.ts holds it to
 * the SDL and the migrations). Its three lists link other offices' records, kept in child tables;
 * they change through mutations of their own (`addAgreementParty`), and the source only at create.
 */
export const agreementRecord = defineRecord({
  entityType: 'Agreement',
  schema: 'agreements',
  table: 'agreement',
  fields: {
    title: { kind: 'text', column: 'title', required: true, max: 300 },
    shortTitle: { kind: 'text', column: 'short_title', max: 60 },
    kind: {
      kind: 'enum',
      column: 'kind',
      required: true,
      values: ['DECLARATION', 'PARTNERSHIP', 'CONTACT_GROUP', 'STATEMENT', 'COMMITTEE'],
    },
    scope: { kind: 'enum', column: 'scope', required: true, values: ['BILATERAL', 'TRILATERAL', 'MULTILATERAL'] },
    signed: {
      kind: 'group',
      fields: {
        year: {
          kind: 'integer',
          column: 'signed_year',
          required: true,
          min: EARLIEST_SIGNED_YEAR,
          max: LATEST_SIGNED_YEAR,
        },
        month: {
          kind: 'integer',
          column: 'signed_month',
          min: 1,
          max: 12,
          check: (month, record) =>
            month !== null && record('signed.year') === null ? 'a month needs its year' : undefined,
        },
      },
    },
    purpose: { kind: 'text', column: 'purpose', required: true, max: 2000 },
    partyIds: {
      kind: 'list',
      required: true,
      update: false,
      item: {
        kind: 'id',
        references: { office: 'partners', entity: 'Partner', noun: 'partner', selection: 'id archived homeParty' },
      },
      table: { table: 'agreement_party', parent: 'agreement_id', column: 'partner_id' },
      check: checkParties,
    },
    threatFocusAreaIds: {
      kind: 'list',
      update: false,
      item: {
        kind: 'id',
        references: { office: 'threat-focus-areas', entity: 'ThreatFocusArea', noun: 'threat focus area' },
      },
      table: { table: 'agreement_threat_focus_area', parent: 'agreement_id', column: 'threat_focus_area_id' },
    },
    sectorIds: {
      kind: 'list',
      update: false,
      item: { kind: 'id', references: { office: 'sectors', entity: 'Sector', noun: 'sector' } },
      table: { table: 'agreement_sector', parent: 'agreement_id', column: 'sector_id' },
    },
    source: { ...SOURCE_FIELD, update: false },
  },
});

/** A create's input, checked: the agreement's own fields and the ids of the other offices' records it links. */
export type NewAgreement = CreateValues<typeof agreementRecord>;

/** An update's fields, checked: only those given. */
export type AgreementChanges = UpdateValues<typeof agreementRecord>;
