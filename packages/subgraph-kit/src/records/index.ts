export { toBulkSpec, readChildLists, type BulkOptions } from './bulk.js';
export { knownByPeer, knownLocally } from './references.js';
export { readRecord, recordColumns, recordToColumns } from './columns.js';
export { recordSpecProblems, subgraphRecordProblems, type ConformanceSources, type SpecInputs } from './conformance.js';
export { checkArchiveInput, checkCreateInput, checkRecordFields, checkUpdateInput } from './input.js';
export {
  ID_MAX,
  ID_PATTERN,
  SOURCE_FIELD,
  defineRecord,
  recordReferences,
  type BooleanRule,
  type ChildTable,
  type ColumnRule,
  type CreateValues,
  type EnumRule,
  type GroupRule,
  type IdRule,
  type IntegerRule,
  type ListRule,
  type ListItem,
  type LocalReference,
  type PeerReference,
  type FieldRule,
  type RecordFields,
  type RecordItem,
  type RecordRead,
  type RecordReader,
  type RecordSpec,
  type RecordValues,
  type Reference,
  type TextRule,
  type UpdateValues,
} from './spec.js';
export { recordSchema } from './schema.js';
