export { addRelatedList, bulkExport, bulkImport, type BulkImportRequest } from './bulk.js';
export { CsvSyntaxError, parseCsv, serializeCsv, type CsvRecord, type CsvTable } from './csv.js';
export {
  DEFAULT_ID_RULE,
  DEFAULT_MAX_ROWS,
  isRelatedList,
  type BooleanField,
  type BulkErrorCode,
  type BulkField,
  type BulkFormat,
  type BulkImportReport,
  type BulkRecordSpec,
  type BulkReference,
  type BulkRowError,
  type ColumnField,
  type EnumField,
  type IntegerField,
  type ListField,
  type RelatedListField,
  type RelatedLists,
  type TextField,
} from './spec.js';
export { checkReferences, validateRecords, type ValidRecord, type Validation } from './validate.js';
