import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadSubgraphModules } from '@cip/stack';
import { readMigrations } from '@cip/subgraph-kit';
import { POSTGRES_SKIP_REASON, createScratchPostgres, type ScratchPostgres } from '@cip/testing/subgraphs';
import { describeUnless } from '@cip/testing/suites';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run migrate` as a deployment would, with only the database variables given here. */
function runMigrate(args: string[], databaseEnv: Record<string, string> = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const key of Object.keys(env)) if (key === 'DATABASE_URL' || key.startsWith('DATABASE_URL_')) delete env[key];
  Object.assign(env, databaseEnv);
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'scripts/migrate.ts', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run migrate, without a database', () => {
  it('rejects an unknown option with the usage and exit 64', async () => {
    const run = await runMigrate(['--bogus'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain('Usage: npm run migrate');
  });

  it('rejects an unknown subgraph, naming the known ones, with exit 64', async () => {
    const run = await runMigrate(['--subgraph', 'weather'], { DATABASE_URL: 'postgres://127.0.0.1:1/none' });
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('Unknown subgraph weather; known: partners, agreements, sectors, threat-focus-areas');
  });

  it('refuses to run without DATABASE_URL, saying what to set, with exit 78', async () => {
    const run = await runMigrate([]);
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('No PostgreSQL database for partners, agreements, sectors, threat-focus-areas');
    expect(run.stderr).toContain('set DATABASE_URL');
    expect(run.stdout).toBe('');
  });

  it('refuses when only some offices have a database', async () => {
    const run = await runMigrate(['--subgraph', 'partners', '--subgraph', 'sectors'], {
      DATABASE_URL_PARTNERS: 'postgres://127.0.0.1:1/none',
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('No PostgreSQL database for sectors');
  });

  it('refuses a database URL that is not PostgreSQL', async () => {
    const run = await runMigrate([], { DATABASE_URL: 'mysql://127.0.0.1/cip' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('not a postgres:// or postgresql:// URL');
  });
});

const adminUrl = process.env.TEST_DATABASE_URL ?? '';

describeUnless(
  adminUrl ? undefined : POSTGRES_SKIP_REASON,
  'npm run migrate, against PostgreSQL (TEST_DATABASE_URL)',
  () => {
    const scratch: ScratchPostgres[] = [];
    const newDatabase = async () => {
      const database = await createScratchPostgres(adminUrl);
      scratch.push(database);
      return database.url;
    };
    afterEach(async () => {
      await Promise.all(scratch.splice(0).map((database) => database.drop()));
    });

    async function query<Row>(url: string, sql: string): Promise<Row[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as Row[];
      } finally {
        await client.end();
      }
    }

    /** Every subgraph's store schema with the versions its migration files define. */
    async function expectedVersions(): Promise<Map<string, string[]>> {
      const expected = new Map<string, string[]>();
      for (const module of await loadSubgraphModules()) {
        const migrations = await readMigrations(module.migrationsDirectory);
        expected.set(
          module.storeSchema,
          migrations.map((migration) => migration.version),
        );
      }
      return expected;
    }

    async function recordedVersions(url: string, schema: string): Promise<string[]> {
      const rows = await query<{ version: string }>(
        url,
        `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
      );
      return rows.map((row) => row.version);
    }

    async function schemasIn(url: string): Promise<string[]> {
      const rows = await query<{ nspname: string }>(
        url,
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema') ORDER BY nspname",
      );
      return rows.map((row) => row.nspname);
    }

    it('migrates an empty database: every schema and its seed, each version recorded', async () => {
      const url = await newDatabase();
      const run = await runMigrate([], { DATABASE_URL: url });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('partners (');
      expect(run.stdout).toContain('applied 001_create_partners, 002_seed_partners');
      for (const [schema, versions] of await expectedVersions()) {
        expect(await recordedVersions(url, schema)).toEqual(versions);
      }
      expect(await query(url, 'SELECT count(*)::int AS n FROM partners.partner')).toEqual([{ n: 31 }]);
      for (const table of ['agreements.agreement', 'sectors.sector', 'threat_focus_areas.threat_focus_area']) {
        const [row] = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${table}`);
        expect(row!.n, table).toBeGreaterThan(0);
      }
    });

    it('applies nothing the second time', async () => {
      const url = await newDatabase();
      expect((await runMigrate([], { DATABASE_URL: url })).code).toBe(0);
      const before = await query(url, 'SELECT version, applied_at FROM partners.schema_migrations ORDER BY version');
      const second = await runMigrate([], { DATABASE_URL: url });
      expect(second.code).toBe(0);
      const lines = second.stdout.trim().split('\n');
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(line).toMatch(/: applied none; already applied \d{3}_/);
      expect(await query(url, 'SELECT version, applied_at FROM partners.schema_migrations ORDER BY version')).toEqual(
        before,
      );
    });

    it('two concurrent runs: both succeed and each version is applied exactly once', async () => {
      const url = await newDatabase();
      const runs = await Promise.all([runMigrate([], { DATABASE_URL: url }), runMigrate([], { DATABASE_URL: url })]);
      for (const run of runs) {
        expect(run.stderr).toBe('');
        expect(run.code).toBe(0);
      }
      const appliedBy = (run: Run) =>
        [...run.stdout.matchAll(/^(\S+) \(.*?\): applied (.*?);/gm)].flatMap(([, subgraph, applied]) =>
          applied === 'none' ? [] : applied!.split(', ').map((migration) => `${subgraph}/${migration}`),
        );
      const applied = runs.flatMap(appliedBy);
      const expected = await expectedVersions();
      const total = [...expected.values()].reduce((sum, versions) => sum + versions.length, 0);
      expect(applied).toHaveLength(total);
      expect(new Set(applied).size).toBe(total);
      for (const [schema, versions] of expected) expect(await recordedVersions(url, schema)).toEqual(versions);
    });

    it('migrates an office into its own database with DATABASE_URL_<NAME>', async () => {
      const shared = await newDatabase();
      const ownOffice = await newDatabase();
      const run = await runMigrate([], { DATABASE_URL: shared, DATABASE_URL_THREAT_FOCUS_AREAS: ownOffice });
      expect(run.code).toBe(0);
      expect(await schemasIn(shared)).toEqual(['agreements', 'partners', 'sectors']);
      expect(await schemasIn(ownOffice)).toEqual(['threat_focus_areas']);
      const shown = new URL(ownOffice);
      shown.password = '';
      expect(run.stdout).toContain(`threat-focus-areas (${shown.toString()})`);
    });

    it('migrates only the subgraphs named with --subgraph, into --database-url', async () => {
      const url = await newDatabase();
      const run = await runMigrate(['--subgraph', 'sectors', '--database-url', url]);
      expect(run.code).toBe(0);
      expect(await schemasIn(url)).toEqual(['sectors']);
    });

    it('refuses a migration changed after it was applied, and still migrates the other offices', async () => {
      const url = await newDatabase();
      expect((await runMigrate(['--subgraph', 'partners'], { DATABASE_URL: url })).code).toBe(0);
      await query(url, "UPDATE partners.schema_migrations SET checksum = 'edited' WHERE version = '002'");
      const run = await runMigrate([], { DATABASE_URL: url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('partners (');
      expect(run.stderr).toContain('Migration partners/002_seed_partners was changed after it was applied');
      expect(run.stdout).toContain('sectors (');
      expect(await schemasIn(url)).toEqual(['agreements', 'partners', 'sectors', 'threat_focus_areas']);
    });

    it('a failing migration names itself and changes nothing for its subgraph', async () => {
      const url = await newDatabase();
      // A table in the way: 001_create_partners cannot create partners.partner.
      await query(url, 'CREATE SCHEMA partners; CREATE TABLE partners.partner (id int)');
      const run = await runMigrate(['--subgraph', 'partners'], { DATABASE_URL: url });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('partners (');
      expect(run.stderr).toContain('failed in migration 001_create_partners, nothing was changed for partners');
      const tables = await query<{ table_name: string }>(
        url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'partners' ORDER BY table_name",
      );
      expect(tables).toEqual([{ table_name: 'partner' }]);
    });
  },
);
