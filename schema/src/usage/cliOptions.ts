import { exitWithUsageError, type CliCommand } from '@cip/core/cli';
import { USAGE_SCHEMA_NAME } from './postgresStore.js';
import { parseWindow, type UsageSnapshot } from './usage.js';

/** The options every usage command line takes, declared once: where the store is, and the window read. */
export const usageStoreOptions = {
  usage: {
    type: 'string',
    value: '<store>',
    description: 'the usage store: a usage file, or a postgres:// URL (USAGE_DATABASE_URL)',
    defaultLabel: '.usage/usage.json',
  },
  'usage-schema': {
    type: 'string',
    value: '<name>',
    description: 'with a postgres:// store: the PostgreSQL schema of its tables (USAGE_DATABASE_SCHEMA)',
    default: 'usage',
  },
  window: {
    type: 'string',
    value: '<7d|24h|30m>',
    description: 'how far back use counts',
    default: '7d',
  },
  'as-of': {
    type: 'string',
    value: '<time>',
    description: 'the end of the window, an ISO 8601 time',
    defaultLabel: 'now',
  },
} as const;

interface UsageOptionValues {
  usage?: string | undefined;
  'usage-schema': string;
  window: string;
  'as-of'?: string | undefined;
}

/** The window's start and end (ms since the epoch), or exit 64 naming the bad option. */
export function readUsageWindow(command: CliCommand, values: UsageOptionValues): { since: number; asOf: number } {
  const windowMs = parseWindow(values.window);
  if (windowMs === undefined) exitWithUsageError(command, `--window ${values.window}: expected e.g. 7d, 24h or 30m`);
  const asOf = values['as-of'] === undefined ? Date.now() : Date.parse(values['as-of']);
  if (Number.isNaN(asOf)) exitWithUsageError(command, `--as-of ${values['as-of']}: expected an ISO 8601 time`);
  if (!USAGE_SCHEMA_NAME.test(values['usage-schema']))
    exitWithUsageError(command, `--usage-schema ${values['usage-schema']}: expected a plain lower-case name`);
  return { since: asOf - windowMs, asOf };
}

/**
 * The use recorded in `location` (a usage file or a postgres:// URL; default: the checkout's usage
 * file) within the window, or undefined once the command has said on stderr why the store cannot be
 * read (its callers exit 3).
 */
export async function readUsageSnapshot(
  command: CliCommand,
  location: string | undefined,
  schema: string,
  { since, asOf }: { since: number; asOf: number },
): Promise<{ snapshot: UsageSnapshot; store: string } | undefined> {
  const { DEFAULT_USAGE_FILE, openUsageStore, usageStoreLocation } = await import('./index.js');
  const store = openUsageStore(usageStoreLocation(location ?? DEFAULT_USAGE_FILE, schema));
  try {
    return { snapshot: await store.read(since, asOf), store: store.description };
  } catch (error) {
    process.stderr.write(
      `${command.name}: cannot read the usage store ${store.description}: ${(error as Error).message}\n`,
    );
    return undefined;
  } finally {
    await store.close();
  }
}
