import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

export interface Migration {
  version: string;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** Reads `NNN_name.sql` files in version order; any other file in the folder is an error, not a surprise. */
export async function readMigrations(directory: URL): Promise<Migration[]> {
  const path = fileURLToPath(directory);
  const files = (await readdir(path)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`Migration file ${file} in ${path} is not named NNN_name.sql`);
      const sql = await readFile(new URL(file, directory), 'utf8');
      return {
        version: match[1]!,
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

function quoteIdentifier(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier)) throw new Error(`Invalid schema name ${identifier}`);
  return `"${identifier}"`;
}

/**
 * Applies the migrations not yet recorded in `<schema>.schema_migrations`, all in one transaction
 * under an advisory lock, so a failed migration changes nothing and two concurrent runs cannot both
 * apply. A migration edited after it ran is refused: its checksum no longer matches.
 */
export async function migrate(
  db: Database,
  schema: string,
  migrations: readonly Migration[],
): Promise<MigrationResult> {
  const table = `${quoteIdentifier(schema)}.schema_migrations`;
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`cip-migrate:${schema}`]);
    await tx.exec(`
      CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)};
      CREATE TABLE IF NOT EXISTS ${table} (
        version text PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );`);
    const recorded = new Map(
      (await tx.query<{ version: string; checksum: string }>(`SELECT version, checksum FROM ${table}`)).map((row) => [
        row.version,
        row.checksum,
      ]),
    );
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const checksum = recorded.get(migration.version);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(
            `Migration ${schema}/${migration.version}_${migration.name} was changed after it was applied`,
          );
        }
        result.alreadyApplied.push(migration.version);
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO ${table} (version, name, checksum) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        migration.checksum,
      ]);
      result.applied.push(migration.version);
    }
    return result;
  });
}
