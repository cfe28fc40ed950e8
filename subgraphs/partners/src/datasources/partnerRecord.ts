import { defineRecord, SOURCE_FIELD, type CreateValues, type UpdateValues } from '@cip/subgraph-kit';

/**
 * A partner's fields, each rule written once: the create and update checks, the columns read and
 * written and the import and export file derive from it (partnerRecord.test.ts holds it to the SDL
 * and the migrations). The home party is no field: it is seeded, never entered.
 */
export const partnerRecord = defineRecord({
  entityType: 'Partner',
  schema: 'partners',
  table: 'partner',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 200 },
    shortName: { kind: 'text', column: 'short_name', required: true, max: 60 },
    kind: {
      kind: 'enum',
      column: 'kind',
      required: true,
      values: ['COUNTRY', 'INTERGOVERNMENTAL_FORUM', 'INTERNATIONAL_ORGANIZATION'],
    },
    region: { kind: 'text', column: 'region', required: true, max: 100 },
    sharesLandBorderWithUnitedStates: { kind: 'boolean', column: 'shares_land_border_with_us', default: false },
    source: SOURCE_FIELD,
  },
});

/** A create's input, checked. */
export type NewPartner = CreateValues<typeof partnerRecord>;

/** An update's fields, checked: only those given. */
export type PartnerChanges = UpdateValues<typeof partnerRecord>;
