import type { BaseContext } from '@apollo/server';
import { defineCommand, exitWithUsageError, readCommandLine } from '@cip/core/cli';
import type { Migration, SubgraphModule } from '@cip/subgraph-kit';

/**
 * Applies each office's versioned migrations to PostgreSQL, before its subgraph starts:
 *
 *   DATABASE_URL=postgres://... npm run migrate -- [--subgraph <name>]... [--database-url <url>]
 *
 * Each subgraph's migrations run in one transaction under an advisory lock (the runner in
 * subgraph-kit), so running this twice is a no-op, two concurrent runs cannot both apply, and a
 * failed migration changes nothing for its subgraph. PGlite stores migrate themselves on start.
 */

const EXIT_CONFIG = 78;
const EXIT_FAILED = 1;

const command = defineCommand({
  name: 'npm run migrate',
  summary: 'applies the versioned migrations of each office to PostgreSQL, before its subgraph starts.',
  usage: 'npm run migrate -- [--subgraph <name>]... [--database-url <url>]',
  options: {
    subgraph: {
      type: 'string',
      value: '<name>',
      multiple: true,
      default: [],
      description: 'migrate only this subgraph',
      defaultLabel: 'every subgraph in schema/subgraphs.json',
    },
    'database-url': {
      type: 'string',
      value: '<url>',
      description: 'one postgres:// database for every subgraph named',
      defaultLabel: 'from the environment',
    },
  },
  env: [
    {
      name: 'DATABASE_URL_<NAME>',
      description: "that office's database, e.g. DATABASE_URL_THREAT_FOCUS_AREAS",
      default: '$DATABASE_URL',
    },
    { name: 'DATABASE_URL', description: 'the database of every other office' },
  ],
  details:
    "Where each subgraph's store is, first found wins: --database-url, DATABASE_URL_<NAME>, DATABASE_URL.\n" +
    'Subgraphs on the embedded PGlite store need no migrate command: they migrate themselves on start.\n' +
    'Exit codes: 0 done, 1 a migration failed, 64 bad arguments, 78 no database configured.',
});

function fail(code: number, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** `threat-focus-areas` → `DATABASE_URL_THREAT_FOCUS_AREAS`. */
function officeDatabaseVariable(subgraph: string): string {
  return `DATABASE_URL_${subgraph.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The URL without its password, to say where a subgraph was migrated. */
function describeDatabase(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}

function formatVersions(versions: readonly string[], migrations: readonly Migration[]): string {
  if (versions.length === 0) return 'none';
  const names = new Map(migrations.map((migration) => [migration.version, `${migration.version}_${migration.name}`]));
  return versions.map((version) => names.get(version) ?? version).join(', ');
}

const { values } = readCommandLine(command);
const commandLine = { subgraphs: values.subgraph, databaseUrl: values['database-url'] };
// Loaded once the command line is read: the subgraph modules bring the whole graph, --help should not wait for it.
const [{ loadSubgraphModules }, { PostgresDatabase, migrate, readMigrations }] = await Promise.all([
  import('@cip/stack'),
  import('@cip/subgraph-kit'),
]);
const modules = await loadSubgraphModules();
const known = modules.map((module) => module.name);
const unknown = commandLine.subgraphs.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  exitWithUsageError(command, `Unknown subgraph ${unknown.join(', ')}; known: ${known.join(', ')}`);
}
const selected =
  commandLine.subgraphs.length > 0 ? modules.filter((m) => commandLine.subgraphs.includes(m.name)) : modules;

const targets: { module: SubgraphModule<BaseContext>; url: string }[] = [];
const unconfigured: string[] = [];
for (const module of selected) {
  const url = commandLine.databaseUrl ?? process.env[officeDatabaseVariable(module.name)] ?? process.env.DATABASE_URL;
  if (!url) unconfigured.push(module.name);
  else if (!/^postgres(ql)?:\/\//.test(url))
    fail(EXIT_CONFIG, `The database URL for ${module.name} is not a postgres:// or postgresql:// URL.`);
  else targets.push({ module, url });
}
if (unconfigured.length > 0) {
  fail(
    EXIT_CONFIG,
    `No PostgreSQL database for ${unconfigured.join(', ')}: set DATABASE_URL (or ${officeDatabaseVariable(
      unconfigured[0]!,
    )} for one office), or pass --database-url. ` +
      'Subgraphs on the embedded PGlite store need no migrate command: they migrate themselves on start.',
  );
}

// One pool per database; offices that share a database share it. No statement timeout: a migration
// may legitimately run long, and a concurrent run waits on the advisory lock until the first commits.
const databases = new Map<string, InstanceType<typeof PostgresDatabase>>();
let failures = 0;
try {
  for (const { module, url } of targets) {
    let db = databases.get(url);
    if (!db) {
      db = new PostgresDatabase({ connectionString: url, poolSize: 1, statementTimeoutMs: 0 });
      databases.set(url, db);
    }
    const migrations = await readMigrations(module.migrationsDirectory);
    // The runner sends each migration's script as one statement: the last one seen is the one that failed.
    let running: Migration | undefined;
    const stopObserving = db.onStatement((sql) => {
      running = migrations.find((migration) => migration.sql === sql);
    });
    try {
      const result = await migrate(db, module.storeSchema, migrations);
      process.stdout.write(
        `${module.name} (${describeDatabase(url)}): applied ${formatVersions(result.applied, migrations)}; ` +
          `already applied ${formatVersions(result.alreadyApplied, migrations)}\n`,
      );
    } catch (error) {
      failures += 1;
      const where = running ? ` in migration ${running.version}_${running.name}` : '';
      process.stderr.write(
        `${module.name} (${describeDatabase(url)}): failed${where}, nothing was changed for ${module.name}: ` +
          `${(error as Error).message}\n`,
      );
    } finally {
      stopObserving();
    }
  }
} finally {
  await Promise.all([...databases.values()].map((db) => db.close()));
}
process.exit(failures > 0 ? EXIT_FAILED : 0);
