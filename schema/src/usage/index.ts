import { resolve } from 'node:path';
import { REPO_DIR } from '../operations.js';
import { FileUsageStore } from './fileStore.js';
import { PostgresUsageStore } from './postgresStore.js';
import type { UsageStore } from './usage.js';

export * from './usage.js';
export { FileUsageStore } from './fileStore.js';
export { PostgresUsageStore, USAGE_SCHEMA_NAME, redactedUrl } from './postgresStore.js';
export { usedCoordinates } from '../operations.js';

/** Where usage is kept: a PostgreSQL database (`postgres://…`, in `schema`) or a file. */
export type UsageStoreLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export const isPostgresUrl = (text: string): boolean => /^postgres(ql)?:\/\//.test(text);

/** A store named on a command line: a `postgres://` URL, or a file path. */
export function usageStoreLocation(text: string, schema = 'usage'): UsageStoreLocation {
  return isPostgresUrl(text) ? { kind: 'postgres', url: text, schema } : { kind: 'file', path: text };
}

export function openUsageStore(location: UsageStoreLocation): UsageStore {
  return location.kind === 'postgres'
    ? new PostgresUsageStore(location.url, location.schema)
    : new FileUsageStore(location.path);
}

/** The embedded default's store, beside the checkout (git ignores it). */
export const DEFAULT_USAGE_FILE = resolve(REPO_DIR, '.usage/usage.json');
export { deprecatedCoordinates, deprecatedUse, type DeprecatedUse } from './deprecated.js';
export { seenDocumentsManifest, type TrustedDocumentsManifest } from './export.js';
