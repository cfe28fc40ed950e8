import {
  bulkExport,
  bulkImport,
  toBulkSpec,
  type BulkFormat,
  type BulkImportRequest,
  type Database,
} from '@cip/subgraph-kit';
import { partnerRecord } from './partnerRecord.js';

/**
 * A partner as a row of an import or export file: the fields of `partnerRecord`, with its rules;
 * the home party and archiving are not in the file (`archivePartner` archives).
 */
const partnerBulkSpec = toBulkSpec(partnerRecord);

/** The partners office's bulk import and export (docs/bulk.md). */
export function createPartnerBulk(db: Database) {
  return {
    import: (request: BulkImportRequest) => bulkImport(db, partnerBulkSpec, request),
    export: (format: BulkFormat) => bulkExport(db, partnerBulkSpec, format),
  };
}

export type PartnerBulk = ReturnType<typeof createPartnerBulk>;
