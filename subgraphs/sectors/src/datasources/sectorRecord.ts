import { defineRecord, SOURCE_FIELD, type CreateValues, type UpdateValues } from '@cip/subgraph-kit';

/**
 * A sector's fields, each rule written once: the create and update checks, the columns read and
 * written, and the import and export file derive from it (sectorRecord.test.ts holds it to the SDL
 * and the migrations). Its agencies are kept in `sector_agency` in the plan's order, each one an
 * agency this office knows and the part of the sector it leads, if only part. Dependencies are
 * not a field: they have their own mutations (`addSectorDependency`) and record (below).
 */
export const sectorRecord = defineRecord({
  entityType: 'Sector',
  schema: 'sectors',
  table: 'sector',
  fields: {
    name: { kind: 'text', column: 'name', required: true, max: 200 },
    agencies: {
      kind: 'list',
      required: true,
      item: {
        kind: 'record',
        key: 'abbreviation',
        fields: {
          abbreviation: {
            kind: 'text',
            column: 'abbreviation',
            required: true,
            max: 20,
            references: { table: 'agency', column: 'abbreviation', entity: 'agency', noun: 'agency' },
          },
          scope: { kind: 'text', column: 'scope', max: 100 },
        },
      },
      table: { table: 'sector_agency', parent: 'sector_id', position: 'position' },
      check: (agencies) =>
        (agencies as readonly unknown[]).length === 0 ? 'name at least one sector-specific agency' : undefined,
    },
    source: SOURCE_FIELD,
  },
});

/** A create's input, checked. */
export type NewSector = CreateValues<typeof sectorRecord>;

/** An update's fields, checked: only those given; the agencies, when given, the whole list. */
export type SectorChanges = UpdateValues<typeof sectorRecord>;

/** A sector's agency as stored: which agency, and the part of the sector it leads, if only part. */
export type AgencyAssignment = NewSector['agencies'][number];

/**
 * A dependency of one sector on another: a record without an id of its own (the two sectors are
 * its key, given as the mutation's arguments), written with its dependent sector's version.
 */
export const sectorDependencyRecord = defineRecord({
  entityType: 'SectorDependency',
  schema: 'sectors',
  table: 'dependency',
  id: false,
  fields: {
    degree: { kind: 'enum', column: 'degree', values: ['LOW', 'MODERATE', 'HIGH'] },
    source: SOURCE_FIELD,
  },
});
