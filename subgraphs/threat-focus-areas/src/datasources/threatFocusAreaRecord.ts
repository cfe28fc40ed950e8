import { defineRecord, SOURCE_FIELD, type CreateValues, type UpdateValues } from '@cip/subgraph-kit';

/**
 * A threat focus area's fields, each rule written once: the create and update checks, the columns
 * read and written, and the import and export file derive from it (threatFocusAreaRecord.test.ts
 * holds it to the SDL and the migrations). The sectors it affects, kept in `affected_sector`, and
 * the agreement that names it are other offices' records; an update changes only its words.
 */
export const threatFocusAreaRecord = defineRecord({
  entityType: 'ThreatFocusArea',
  schema: 'threat_focus_areas',
  table: 'threat_focus_area',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 200 },
    description: { kind: 'text', column: 'description', required: true, max: 2000 },
    category: {
      kind: 'enum',
      column: 'category',
      required: true,
      update: false,
      values: ['COUNTER_TERRORISM', 'CROSS_SECTOR', 'GLOBAL_INFRASTRUCTURE'],
    },
    origin: {
      kind: 'group',
      required: true,
      update: false,
      fields: {
        statement: { kind: 'text', column: 'origin_statement', required: true, max: 300 },
        namedById: {
          kind: 'id',
          column: 'origin_agreement_id',
          references: { office: 'agreements', entity: 'Agreement', noun: 'agreement' },
        },
      },
    },
    affectedSectorIds: {
      kind: 'list',
      update: false,
      item: { kind: 'id', references: { office: 'sectors', entity: 'Sector', noun: 'sector' } },
      table: { table: 'affected_sector', parent: 'threat_focus_area_id', column: 'sector_id' },
    },
    source: { ...SOURCE_FIELD, update: false },
  },
});

/** A create's input, checked: the focus area's own fields and the ids of the other offices' records it names. */
export type NewThreatFocusArea = CreateValues<typeof threatFocusAreaRecord>;

/** An update's fields, checked: only those given. */
export type ThreatFocusAreaChanges = UpdateValues<typeof threatFocusAreaRecord>;
