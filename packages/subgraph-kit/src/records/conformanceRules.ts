import { buildSubgraphSchema } from '@apollo/subgraph';
import { isObjectType, type DocumentNode } from 'graphql';
import type { Queryable } from '../database.js';
import { ruledFields } from '../fieldAccess.js';
import { columnName } from '../writes/audit.js';
import { flatFields, isChildList, storeOf, type RecordSpec } from './spec.js';

/** The columns of an entity's table that are the writes kit's own: its id, version and archive mark. */
const KIT_COLUMNS = new Set(['id', 'version', 'archived_at']);

/**
 * A record spec against the SDL's field rules (`@authenticated`, `@requiresScopes`, fieldAccess.ts),
 * for the two places that show a whole record outside its fields' resolvers (conformance.ts):
 * - no field of the spec is restricted: an export file holds every field of the spec, and is given
 *   to any caller with the write or the audit scope;
 * - every column of the entity's table is one the audit log's rules can name (its rows are the
 *   stored rows, writes/audit.ts `visibleValues`): a spec field's column, the column of a field of
 *   the entity's type by the stores' convention (`internal_notes` for `internalNotes`), or the
 *   kit's own (`id`, `version`, `archived_at`). A restricted field stored under another name would
 *   reach every reader of the audit log. A record without an id of its own (a sector's dependency)
 *   is no entry of the audit log: its changes are its parent's, audited as that office writes them.
 * Nothing to check when the SDL has no object type of the spec's name.
 */
export async function fieldRuleProblems(
  spec: RecordSpec,
  sdl: DocumentNode,
  db: Queryable,
  problem: (message: string) => void,
): Promise<void> {
  const schema = buildSubgraphSchema({ typeDefs: sdl });
  if (!isObjectType(schema.getType(spec.entityType))) return;
  const fields = ruledFields(schema, spec.entityType);
  for (const name of Object.keys(spec.fields)) {
    if (fields.get(name)?.rule) {
      problem(`${name} is restricted in the SDL, but every field of the spec is in its export file`);
    }
  }
  if (spec.id === false) return;
  const { schema: storeSchema, table } = storeOf(spec);
  const known = new Set([
    ...KIT_COLUMNS,
    ...[...fields.keys()].map(columnName),
    ...flatFields(spec.fields).flatMap(({ field }) =>
      !isChildList(field) && field.column !== undefined ? [field.column] : [],
    ),
  ]);
  const columns = await db.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
     ORDER BY ordinal_position`,
    [storeSchema, table],
  );
  for (const { name } of columns) {
    if (!known.has(name)) {
      problem(
        `column ${table}.${name} is no field's of the spec or of type ${spec.entityType}: the audit log's field rules cannot name it`,
      );
    }
  }
}
