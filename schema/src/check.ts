import { relative, resolve } from 'node:path';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { GraphQLError, buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { readBaseApiSchema, type SchemaBase } from './base.js';
import { compose, readCompositionInput, type CompositionProblem, type SubgraphInput } from './compose.js';
import {
  REPO_DIR,
  readRegisteredOperations,
  touches,
  usedCoordinates,
  type RegisteredOperation,
} from './operations.js';
import { deprecatedUse, type DeprecatedUse } from './usage/deprecated.js';
import {
  describeWindow,
  formatUse,
  operationUses,
  type OperationUse,
  type SeenDocument,
  type UsageSnapshot,
} from './usage/usage.js';
import { withNullabilityNote } from './nullability.js';

export type ChangeLevel = 'breaking' | 'dangerous' | 'safe';

export interface SchemaChange {
  level: ChangeLevel;
  type: string;
  message: string;
  /** graphql-inspector's coordinate of what changed, e.g. `Partner.name`. */
  path: string | null;
  /** The registered operations that use what changed. */
  usedBy: string[];
  /** With usage: who sent an operation using what changed, within the window. */
  seenUse?: OperationUse[];
  /** Whether this change fails the check. */
  fails: boolean;
}

export interface OperationResult {
  name: string;
  source: string;
  ok: boolean;
  /** Why it breaks: validation errors against the new API schema, and breaking changes it uses. */
  problems: string[];
}

export interface SchemaCheckReport {
  /** 0 fine; 1 a registered operation breaks, or a change breaks recorded use; 2 the subgraphs do not compose. */
  exitCode: 0 | 1 | 2;
  /** What the working tree was compared with. */
  base: string;
  /** With usage: the window read, as given (`7d`), and the store. */
  usage?: { window: string; store: string };
  composition: {
    ok: boolean;
    /** Composition errors by the subgraph they point at (`(graph)` when they point at none). */
    errors: Record<string, CompositionProblem[]>;
    hints: CompositionProblem[];
  };
  changes: SchemaChange[];
  operations: OperationResult[];
  /** With usage: every deprecated coordinate of the new API schema, with who still uses it. */
  deprecated?: DeprecatedUse[];
}

/** Recorded traffic to check changes against (usage/): the use within the window. */
export interface UsageEvidence {
  snapshot: UsageSnapshot;
  /** As given, e.g. `7d`; the report says "no use seen in the last 7 days". */
  window: string;
  store: string;
}

export interface SchemaCheckInput {
  subgraphs: SubgraphInput[];
  /** The API schema of the base (the last release, the merge-base): what clients see today. */
  baseApiSdl: string;
  /** How the report names the base. */
  baseLabel: string;
  operations: RegisteredOperation[];
  usage?: UsageEvidence;
  /** Dangerous changes fail as breaking ones do (when used). */
  failOnDangerous?: boolean;
}

const LEVELS: Record<CriticalityLevel, ChangeLevel> = {
  [CriticalityLevel.Breaking]: 'breaking',
  [CriticalityLevel.Dangerous]: 'dangerous',
  [CriticalityLevel.NonBreaking]: 'safe',
};

/** Which subgraph a composition problem is about: the SDL file it points at, or the subgraph its message names. */
function subgraphsOf(problem: CompositionProblem, subgraphs: readonly SubgraphInput[]): string[] {
  const named = new Set<string>();
  for (const subgraph of subgraphs) {
    if (
      problem.locations.some((at) => at.startsWith(`${subgraph.schemaPath}:`) || at.startsWith(`${subgraph.name}:`))
    ) {
      named.add(subgraph.name);
    }
  }
  if (named.size === 0) {
    for (const subgraph of subgraphs) if (problem.message.includes(`"${subgraph.name}"`)) named.add(subgraph.name);
  }
  return named.size > 0 ? [...named] : ['(graph)'];
}

function groupBySubgraph(problems: readonly CompositionProblem[], subgraphs: readonly SubgraphInput[]) {
  const grouped: Record<string, CompositionProblem[]> = {};
  for (const problem of problems) {
    for (const name of subgraphsOf(problem, subgraphs)) (grouped[name] ??= []).push(problem);
  }
  return grouped;
}

function checkOperation(
  operation: RegisteredOperation,
  oldSchema: GraphQLSchema,
  newSchema: GraphQLSchema,
  breaking: readonly SchemaChange[],
): { result: OperationResult; used: Set<string> } {
  let document;
  try {
    document = parse(operation.document);
  } catch (error) {
    const message = error instanceof GraphQLError ? error.message : String(error);
    return { result: { ...operation, ok: false, problems: [`does not parse: ${message}`] }, used: new Set() };
  }
  const used = usedCoordinates(oldSchema, document);
  // Example operations are files a person edits: point at the line. Manifest entries are bodies.
  const file = operation.source.includes('#') ? null : operation.source;
  const problems = validate(newSchema, document).map((error) => {
    const at = error.locations?.[0];
    return file && at ? `${error.message} (${file}:${at.line}:${at.column})` : error.message;
  });
  for (const change of breaking) {
    if (change.path && touches(used, change.path, oldSchema)) problems.push(`uses ${change.path}: ${change.message}`);
  }
  return {
    result: { name: operation.name, source: operation.source, ok: problems.length === 0, problems },
    used,
  };
}

/**
 * The schema check: composes the subgraphs as they are, classifies every change of the API schema
 * against the committed one, and validates every registered operation against the new API schema.
 * A change that breaks a registered operation fails the check; a breaking change no registered
 * operation uses is reported, and left to the reviewer.
 */
export async function checkSchema(input: SchemaCheckInput): Promise<SchemaCheckReport> {
  const outcome = compose(input.subgraphs);
  const base = input.baseLabel;
  if (!outcome.ok) {
    return {
      exitCode: 2,
      base,
      composition: { ok: false, errors: groupBySubgraph(outcome.errors, input.subgraphs), hints: [] },
      changes: [],
      operations: [],
    };
  }
  const oldSchema = buildSchema(input.baseApiSdl);
  const newSchema = buildSchema(outcome.apiSdl);
  const changes: SchemaChange[] = (await diff(oldSchema, newSchema)).map((change) => ({
    ...withNullabilityNote(change, LEVELS[change.criticality.level]),
    type: String(change.type as string),
    path: change.path ?? null,
    usedBy: [],
    fails: false,
  }));
  const failing = (change: SchemaChange) =>
    change.level === 'breaking' || (input.failOnDangerous === true && change.level === 'dangerous');
  const breaking = changes.filter(failing);
  const operations = input.operations.map((operation) => {
    const { result, used } = checkOperation(operation, oldSchema, newSchema, breaking);
    for (const change of changes) {
      if (change.path && touches(used, change.path, oldSchema)) change.usedBy.push(operation.name);
    }
    return result;
  });
  const { usage } = input;
  // Each seen document's coordinates as a set once, not once per change and count.
  const coordinateSets = new Map<string, ReadonlySet<string>>();
  const coordinatesOf = (document: SeenDocument) => {
    let set = coordinateSets.get(document.hash);
    if (!set) coordinateSets.set(document.hash, (set = new Set(document.coordinates)));
    return set;
  };
  for (const change of changes) {
    const { path } = change;
    if (usage && path) {
      change.seenUse = operationUses(usage.snapshot, (document) => touches(coordinatesOf(document), path, oldSchema));
    }
    change.fails = failing(change) && (change.usedBy.length > 0 || (change.seenUse?.length ?? 0) > 0);
  }
  const fine = operations.every((operation) => operation.ok) && !changes.some((change) => change.fails);
  return {
    exitCode: fine ? 0 : 1,
    base,
    ...(usage ? { usage: { window: usage.window, store: usage.store } } : {}),
    composition: { ok: true, errors: {}, hints: outcome.hints },
    changes,
    operations,
    ...(usage ? { deprecated: deprecatedUse(newSchema, usage.snapshot) } : {}),
  };
}

/** What the check reads: the working tree of `repoDir` (its composition input and registered operations) and the base. */
export interface SchemaCheckSources {
  repoDir?: string;
  base?: SchemaBase;
}

/** Reads the working tree's composition input and registered operations, and the base's API schema. */
export async function readSchemaCheckInput({
  repoDir = REPO_DIR,
  base = { kind: 'ref', ref: undefined },
}: SchemaCheckSources = {}): Promise<SchemaCheckInput> {
  const { label, apiSdl } = await readBaseApiSchema(repoDir, base);
  return {
    subgraphs: await readCompositionInput(resolve(repoDir, 'schema/subgraphs.json')),
    baseApiSdl: apiSdl,
    baseLabel: label,
    operations: await readRegisteredOperations(repoDir),
  };
}

const at = (location: string) => {
  const path = relative(process.cwd(), location);
  return path.startsWith('..') ? location : path;
};

/** The readable report: what to fix first at the top. */
export function formatReport(report: SchemaCheckReport): string {
  const lines: string[] = [];
  if (!report.composition.ok) {
    lines.push('FAIL: the subgraphs do not compose.');
    for (const [subgraph, problems] of Object.entries(report.composition.errors)) {
      lines.push('', `subgraph ${subgraph}:`);
      for (const problem of problems) {
        lines.push(`  ${problem.code}: ${problem.message}`, ...problem.locations.map((l) => `    at ${at(l)}`));
      }
    }
    return lines.join('\n');
  }
  const broken = report.operations.filter((operation) => !operation.ok);
  const usedInWindow = report.changes.filter((change) => change.fails && (change.seenUse?.length ?? 0) > 0);
  const window = report.usage ? describeWindow(report.usage.window) : '';
  lines.push(
    broken.length > 0 || usedInWindow.length > 0
      ? [
          'FAIL:',
          broken.length > 0 ? `${broken.length} registered operation(s) would break.` : '',
          usedInWindow.length > 0
            ? `${usedInWindow.length} change(s) break operations clients sent in the last ${window}.`
            : '',
        ]
          .filter(Boolean)
          .join(' ')
      : `OK: composes; ${report.operations.length} registered operation(s) still valid.`,
    `Compared with ${report.base}${report.usage ? `; use of the last ${window} from ${report.usage.store}` : ''}.`,
  );
  for (const operation of broken) {
    lines.push('', `operation ${operation.name} (${operation.source}):`, ...operation.problems.map((p) => `  - ${p}`));
  }
  for (const level of ['breaking', 'dangerous', 'safe'] as const) {
    const changes = report.changes.filter((change) => change.level === level);
    if (changes.length === 0) continue;
    lines.push('', `${level} changes (${changes.length}):`);
    for (const change of changes) {
      const registered =
        change.usedBy.length > 0
          ? ` [used by ${change.usedBy.join(', ')}]`
          : level === 'breaking'
            ? ' [no registered operation uses it]'
            : '';
      const seen = change.seenUse === undefined || level === 'safe' ? undefined : change.seenUse;
      const unseen = seen?.length === 0 ? ` [no use seen in the last ${window}]` : '';
      lines.push(`  - ${change.path ? `${change.path}: ` : ''}${change.message}${registered}${unseen}`);
      for (const use of seen ?? []) lines.push(`      used by ${formatUse(use)}`);
    }
  }
  if (report.changes.length === 0) lines.push('', 'No change to the API schema.');
  if (report.deprecated && report.deprecated.length > 0) {
    lines.push('', `deprecated (${report.deprecated.length}), with their use in the last ${window}:`);
    for (const { coordinate, reason, seenUse } of report.deprecated) {
      lines.push(`  - ${coordinate} (${reason})${seenUse.length === 0 ? `: no use seen in the last ${window}` : ''}`);
      for (const use of seenUse) lines.push(`      used by ${formatUse(use)}`);
    }
  }
  for (const hint of report.composition.hints) {
    lines.push('', `hint ${hint.code}: ${hint.message}`, ...hint.locations.map((l) => `    at ${at(l)}`));
  }
  return lines.join('\n');
}
