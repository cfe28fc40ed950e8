/**
 * `npm run subgraph:new -- <name> [--entity <Type>] [--feed <url>] [--references <Type>] [--port <n>]`
 *
 * Creates `subgraphs/<name>/` in the shape of the four offices' subgraphs, registers it in the
 * composition input (`schema/subgraphs.json`: routing URL on a free port, package, codegen target),
 * links the workspace package, then composes and generates its resolver types. Every check runs
 * before anything is written; if composing or generating fails afterwards, everything written is
 * put back as it was.
 *
 * Exit codes: 0 created; 64 bad arguments (name, type, URL, port); 73 the name, type or port is
 * already taken; 65 the new subgraph does not compose with the others (nothing kept).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, formatHelp, formatUsageError, parseCommandLine, UsageError } from '@cip/core/cli';
import { commonFiles, storeFiles } from './subgraph-new/codeTemplates.js';
import { feedFiles } from './subgraph-new/feedTemplates.js';
import { RESERVED_NAMES, SUBGRAPH_NAME, TYPE_NAME, defaultEntity, deriveNames } from './subgraph-new/names.js';
import { schemaSdl } from './subgraph-new/schemaTemplate.js';
import {
  API_SCHEMA_FILE,
  COMPOSITION_INPUT,
  SUPERGRAPH_FILE,
  compose,
  formatProblems,
  readCompositionInput,
} from '@cip/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GATEWAY_PORT = 4000;
const FIRST_SUBGRAPH_PORT = 4001;

class Refusal extends Error {
  constructor(
    message: string,
    readonly exitCode: 64 | 65 | 73,
  ) {
    super(message);
  }
}

interface RegistryEntry {
  name: string;
  routingUrl: string;
  schema: string;
  package?: string;
  export?: string;
  codegen?: { context: string; mappers: Record<string, string> };
}

const command = defineCommand({
  name: 'npm run subgraph:new',
  summary: "creates subgraphs/<name>/ in the shape of the offices' subgraphs, registers, composes and generates it.",
  usage: 'npm run subgraph:new -- <name> [--entity <Type>] [--feed <url>] [--references <Type>] [--port <n>]',
  arguments: [{ name: '<name>', description: 'the new subgraph, kebab-case, e.g. partner-reports', required: true }],
  options: {
    entity: {
      type: 'string',
      value: '<Type>',
      description: 'its entity type, PascalCase',
      defaultLabel: '<name> in PascalCase, singular (partner-reports: PartnerReport)',
    },
    feed: {
      type: 'string',
      value: '<url>',
      description: "an http(s) URL of its partner's feed: a feed-backed subgraph",
      defaultLabel: 'none: a store-backed subgraph',
    },
    references: {
      type: 'string',
      value: '<Type>',
      description: 'the entity of another subgraph (`@key(fields: "id")`) its records join to',
      default: 'Partner',
    },
    port: {
      type: 'string',
      value: '<n>',
      description: 'its port, 1024 to 65535',
      defaultLabel: 'the first port from 4001 no subgraph uses',
    },
  },
  details:
    'Exit codes: 0 created; 64 bad arguments (name, type, URL, port); 73 the name, type or port is already taken;\n' +
    '65 the new subgraph does not compose with the others (nothing kept).',
});

/** The command line; a usage error refuses like any other bad argument, changing nothing. */
function readArguments(argv: string[]) {
  try {
    return parseCommandLine(command, argv);
  } catch (error) {
    if (error instanceof UsageError) throw new Refusal(error.message, 64);
    throw error;
  }
}

const portOf = (routingUrl: string) => Number(new URL(routingUrl).port || 80);

/** The first port from 4001 that no subgraph routes to (and not the gateway's). */
function freePort(taken: ReadonlySet<number>): number {
  let port = FIRST_SUBGRAPH_PORT;
  while (taken.has(port) || port === GATEWAY_PORT) port++;
  return port;
}

/** A shareable type's declaration, copied from an existing subgraph so that every copy stays identical. */
function shareableBlock(sdls: readonly string[], typeName: string): string {
  const pattern = new RegExp(`("[^"\\n]*"\\n)?type ${typeName} @shareable[^{]*\\{[^}]*\\}`);
  for (const sdl of sdls) {
    const match = pattern.exec(sdl);
    if (match) return match[0];
  }
  throw new Error(`No subgraph declares a shareable ${typeName} to copy`);
}

/** The declarations the new SDL must repeat word for word: PageInfo, and the description of Query. */
function sharedDeclarations(sdls: readonly string[]) {
  const queryDescription = sdls.map((sdl) => /("[^"\n]*")\ntype Query\b/.exec(sdl)?.[1]).find(Boolean);
  return {
    pageInfo: shareableBlock(sdls, 'PageInfo'),
    queryDescription: queryDescription ?? '"The ways into the graph."',
  };
}

function definesType(sdl: string, typeName: string): boolean {
  return new RegExp(`(^|\\n)\\s*(extend\\s+)?(type|interface|enum|input|union|scalar)\\s+${typeName}\\b`).test(sdl);
}

function isResolvableEntity(sdl: string, typeName: string): boolean {
  const declaration = new RegExp(`type ${typeName} (@[^{]*)\\{`).exec(sdl)?.[1] ?? '';
  return /@key\(fields: "id"/.test(declaration) && !/resolvable: false/.test(declaration);
}

async function main(argv: string[]): Promise<void> {
  const commandLine = readArguments(argv);
  if (commandLine === 'help') {
    process.stdout.write(formatHelp(command));
    return;
  }
  const { values, positionals } = commandLine;
  // The declaration requires exactly one argument: parseCommandLine refused any other count.
  const name = positionals[0] ?? '';
  if (!SUBGRAPH_NAME.test(name) || name.length > 40) {
    throw new Refusal(
      `"${name}" is not a subgraph name: use kebab-case, e.g. partner-reports (a-z, 0-9, single hyphens, at most 40 characters).`,
      64,
    );
  }
  if (RESERVED_NAMES.has(name))
    throw new Refusal(`"${name}" is reserved for the monorepo's own packages; choose another name.`, 64);
  const entity = values.entity ?? defaultEntity(name);
  for (const [option, typeName] of [
    ['--entity', entity],
    ['--references', values.references],
  ] as const) {
    if (!TYPE_NAME.test(typeName))
      throw new Refusal(`${option} "${typeName}" is not a GraphQL type name: use PascalCase, e.g. PartnerReport.`, 64);
  }
  if (values.feed !== undefined && !/^https?:\/\/[^/\s]+/.test(values.feed)) {
    throw new Refusal(`--feed "${values.feed}" is not an http(s) URL.`, 64);
  }

  const registry = JSON.parse(await readFile(COMPOSITION_INPUT, 'utf8')) as { subgraphs: RegistryEntry[] };
  const existing = await readCompositionInput();
  const folder = join(ROOT, 'subgraphs', name);
  const packageName = `@cip/subgraph-${name}`;
  const link = join(ROOT, 'node_modules', packageName);
  if (existing.some((subgraph) => subgraph.name === name)) {
    throw new Refusal(`A subgraph named ${name} is already in schema/subgraphs.json.`, 73);
  }
  if (existsSync(folder))
    throw new Refusal(`${relative(process.cwd(), folder)} already exists; remove it or choose another name.`, 73);
  if (
    await lstat(link).then(
      () => true,
      () => false,
    )
  ) {
    throw new Refusal(`node_modules/${packageName} already exists; a package of that name is taken.`, 73);
  }
  const clash = existing.find((subgraph) => definesType(subgraph.sdl, entity));
  if (clash)
    throw new Refusal(`The ${clash.name} subgraph already defines a type ${entity}; pass --entity <AnotherType>.`, 73);
  if (!existing.some((subgraph) => isResolvableEntity(subgraph.sdl, values.references))) {
    throw new Refusal(
      `--references ${values.references} is not an entity (\`@key(fields: "id")\`) of any subgraph.`,
      64,
    );
  }
  const taken = new Set(existing.map((subgraph) => portOf(subgraph.routingUrl)));
  let port = freePort(taken);
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1024 || port > 65_535)
      throw new Refusal(`--port ${values.port} is not a port from 1024 to 65535.`, 64);
    const owner = existing.find((subgraph) => portOf(subgraph.routingUrl) === port);
    if (owner || port === GATEWAY_PORT) {
      throw new Refusal(
        `Port ${port} is already used by ${owner ? `the ${owner.name} subgraph` : 'the gateway'}; omit --port to get a free one (${freePort(taken)}).`,
        73,
      );
    }
  }

  const n = deriveNames(name, entity, values.references);
  const feed = values.feed !== undefined;
  const description = feed
    ? `The ${name} office's subgraph: records from its partner's feed (${values.feed}), joined to ${n.references}.`
    : `The ${name} office's subgraph: its records, in its own store, joined to ${n.references}.`;
  const datasource = `../datasources/${n.camel}.js`;
  const files: Record<string, string> = {
    'package.json': `${JSON.stringify(
      {
        name: packageName,
        version: '0.1.0',
        private: true,
        description,
        type: 'module',
        exports: { '.': { source: './src/server.ts', default: './dist/server.js' } },
        files: ['dist', 'migrations', 'schema.graphql'],
        scripts: { build: 'node ../../scripts/build-package.mjs', start: 'node dist/index.js' },
        dependencies: {
          '@cip/core': '0.1.0',
          ...(feed ? { '@cip/feed-kit': '0.1.0' } : {}),
          '@cip/subgraph-kit': '0.1.0',
          dataloader: '2.2.3',
          graphql: '16.15.0',
          ...(feed ? { zod: '4.6.7' } : {}),
        },
      },
      null,
      2,
    )}\n`,
    'schema.graphql': schemaSdl(n, sharedDeclarations(existing.map((subgraph) => subgraph.sdl)), feed),
    ...commonFiles(n, port, description, feed),
    ...(feed ? feedFiles(n, values.feed ?? '') : storeFiles(n)),
  };
  const entry: RegistryEntry = {
    name,
    routingUrl: `http://127.0.0.1:${port}/graphql`,
    schema: `../subgraphs/${name}/schema.graphql`,
    package: packageName,
    export: `${n.camel}Subgraph`,
    codegen: {
      context: `../context.js#${n.pascal}Context`,
      mappers: { [n.entity]: `${datasource}#${n.entity}Row`, [n.references]: `${datasource}#${n.references}Ref` },
    },
  };

  // Everything below changes the tree; on any failure it is put back as it was.
  const saved = await Promise.all(
    [COMPOSITION_INPUT, SUPERGRAPH_FILE, API_SCHEMA_FILE].map(
      async (file) => [file, await readFile(file, 'utf8')] as const,
    ),
  );
  const undo = async () => {
    await rm(folder, { recursive: true, force: true });
    await rm(link, { force: true });
    for (const [file, content] of saved) await writeFile(file, content);
  };
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(folder, path)), { recursive: true });
      await writeFile(join(folder, path), content);
    }
    registry.subgraphs.push(entry);
    await writeFile(COMPOSITION_INPUT, `${JSON.stringify(registry, null, 2)}\n`);
    // What `npm install` would do for a new workspace; run it too, to record it in package-lock.json.
    await mkdir(dirname(link), { recursive: true });
    await symlink(relative(dirname(link), folder), link);

    const outcome = compose(await readCompositionInput());
    if (!outcome.ok)
      throw new Refusal(
        `The new subgraph does not compose with the others:\n${formatProblems('error', outcome.errors)}`,
        65,
      );
    if (outcome.hints.length > 0)
      throw new Refusal(`The new subgraph composes only with hints:\n${formatProblems('hint', outcome.hints)}`, 65);
    await writeFile(SUPERGRAPH_FILE, outcome.supergraphSdl);
    await writeFile(API_SCHEMA_FILE, outcome.apiSdl);

    const bin = join(ROOT, 'node_modules', '.bin');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    for (const [command, args] of [
      ['graphql-codegen', ['--config', 'codegen.ts']],
      ['prettier', ['--write', '--log-level', 'warn', relative(ROOT, folder), 'schema/subgraphs.json']],
    ] as const) {
      const run = spawnSync(join(bin, command), args, { cwd: ROOT, env, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`${command} failed:\n${run.stdout}${run.stderr}`);
    }
  } catch (error) {
    await undo();
    throw error;
  }
  process.stdout.write(
    [
      `Created subgraphs/${name} (${feed ? `feed-backed: ${values.feed}` : 'store-backed'}), entity ${n.entity} joined to ${n.references}.`,
      `Registered in schema/subgraphs.json on ${entry.routingUrl}; composed; resolver types generated.`,
      'Next:',
      ...(
        [
          ['npm install', 'record the new workspace in package-lock.json'],
          [`npx vitest run subgraphs/${name}`, 'its own tests'],
          ['npm run schema:check', 'what the change does to the graph and its clients'],
          ['npm start', 'the whole system, with the new subgraph'],
        ] as const
      ).map(([command, why]) => `  ${command.padEnd(42)} # ${why}`),
      '',
    ].join('\n'),
  );
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof Refusal)) throw error;
  const message = error.exitCode === 64 ? formatUsageError(command, error.message) : `subgraph:new: ${error.message}\n`;
  process.stderr.write(`${message}Nothing was changed.\n`);
  process.exitCode = error.exitCode;
}
