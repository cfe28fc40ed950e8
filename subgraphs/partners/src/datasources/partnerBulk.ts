import {
  bulkExport,
  bulkImport,
  type BulkFormat,
  type BulkRecordSpec,
  type Database,
  SOURCE_FIELDS,
} from '@cip/subgraph-kit';

/**
 * A partner as a row of an import or export file. The same rules as `createPartner`
 * (partnerInput.ts); the home party and archiving are not in the file (`archivePartner` archives).
 */
export const partnerRecordSpec: BulkRecordSpec = {
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
    ...SOURCE_FIELDS,
  },
};

/** The partners office's bulk import and export (docs/bulk.md). */
export function createPartnerBulk(db: Database) {
  return {
    import: (request: {
      format: BulkFormat;
      content: string;
      dryRun?: boolean | null;
      actor: string;
      context: object;
    }) => bulkImport(db, partnerRecordSpec, request),
    export: (format: BulkFormat) => bulkExport(db, partnerRecordSpec, format),
  };
}

export type PartnerBulk = ReturnType<typeof createPartnerBulk>;
