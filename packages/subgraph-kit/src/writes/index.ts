export { actorOf, keyOwnerOf } from './actor.js';
export {
  auditReaderOf,
  readAuditEntries,
  readAuditLog,
  visibleValues,
  writeAudit,
  type AuditChange,
  type AuditReader,
  type AuditEntry,
  type AuditFilter,
  type PresentedAuditEntry,
} from './audit.js';
export {
  archiveVersioned,
  insertRecord,
  isUniqueViolation,
  staleVersion,
  updateVersioned,
  type RecordChange,
  type RecordRow,
  type VersionedUpdate,
} from './concurrency.js';
export {
  createOnce,
  earlierCreate,
  idempotencyKeyOf,
  requestHash,
  type CreateOutcome,
  type IdempotencyKey,
  type IdempotentCreate,
} from './idempotency.js';
export { identifier, idempotencyKeyOwnerSql, qualified, writeTablesSql } from './sql.js';
export { InputChecks, invalidInput, type InputIssue } from './validation.js';
export { httpPeers, peersOf, type HttpPeersOptions, type Peers } from './peers.js';
