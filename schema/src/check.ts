import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import { GraphQLError, buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import {
  API_SCHEMA_FILE,
  COMPOSITION_INPUT,
  compose,
  readCompositionInput,
  type CompositionProblem,
  type SubgraphInput,
} from './compose.js';
import { withNullabilityNote } from './nullability.js';
import { readRegisteredOperations, touches, usedCoordinates, type RegisteredOperation } from './operations.js';

export type ChangeLevel = 'breaking' | 'dangerous' | 'safe';

export interface SchemaChange {
  level: ChangeLevel;
  type: string;
  message: string;
  /** graphql-inspector's coordinate of what changed, e.g. `Partner.name`. */
  path: string | null;
  /** The registered operations that use what changed. */
  usedBy: string[];
}

export interface OperationResult {
  name: string;
  source: string;
  ok: boolean;
  /** Why it breaks: validation errors against the new API schema, and breaking changes it uses. */
  problems: string[];
}

export interface SchemaCheckReport {
  /** 0 fine; 1 a registered operation breaks; 2 the subgraphs do not compose. */
  exitCode: 0 | 1 | 2;
  composition: {
    ok: boolean;
    /** Composition errors by the subgraph they point at (`(graph)` when they point at none). */
    errors: Record<string, CompositionProblem[]>;
    hints: CompositionProblem[];
  };
  changes: SchemaChange[];
  operations: OperationResult[];
}

export interface SchemaCheckInput {
  subgraphs: SubgraphInput[];
  /** The committed API schema clients see today. */
  committedApiSdl: string;
  operations: RegisteredOperation[];
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
    if (change.path && touches(used, change.path)) problems.push(`uses ${change.path}: ${change.message}`);
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
  if (!outcome.ok) {
    return {
      exitCode: 2,
      composition: { ok: false, errors: groupBySubgraph(outcome.errors, input.subgraphs), hints: [] },
      changes: [],
      operations: [],
    };
  }
  const oldSchema = buildSchema(input.committedApiSdl);
  const newSchema = buildSchema(outcome.apiSdl);
  const changes: SchemaChange[] = (await diff(oldSchema, newSchema)).map((change) => ({
    ...withNullabilityNote(change, LEVELS[change.criticality.level]),
    type: String(change.type as string),
    path: change.path ?? null,
    usedBy: [],
  }));
  const breaking = changes.filter((change) => change.level === 'breaking');
  const operations = input.operations.map((operation) => {
    const { result, used } = checkOperation(operation, oldSchema, newSchema, breaking);
    for (const change of changes) {
      if (change.path && touches(used, change.path)) change.usedBy.push(operation.name);
    }
    return result;
  });
  return {
    exitCode: operations.every((operation) => operation.ok) ? 0 : 1,
    composition: { ok: true, errors: {}, hints: outcome.hints },
    changes,
    operations,
  };
}

/** Reads the working tree: the composition input, the committed API schema, the registered operations. */
export async function readSchemaCheckInput(
  inputFile = COMPOSITION_INPUT,
  apiSchemaFile = API_SCHEMA_FILE,
  operations?: RegisteredOperation[],
): Promise<SchemaCheckInput> {
  return {
    subgraphs: await readCompositionInput(inputFile),
    committedApiSdl: await readFile(apiSchemaFile, 'utf8'),
    operations: operations ?? (await readRegisteredOperations()),
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
  lines.push(
    broken.length > 0
      ? `FAIL: ${broken.length} registered operation(s) would break.`
      : `OK: composes; ${report.operations.length} registered operation(s) still valid.`,
  );
  for (const operation of broken) {
    lines.push('', `operation ${operation.name} (${operation.source}):`, ...operation.problems.map((p) => `  - ${p}`));
  }
  for (const level of ['breaking', 'dangerous', 'safe'] as const) {
    const changes = report.changes.filter((change) => change.level === level);
    if (changes.length === 0) continue;
    lines.push('', `${level} changes (${changes.length}):`);
    for (const change of changes) {
      const use =
        change.usedBy.length > 0
          ? ` [used by ${change.usedBy.join(', ')}]`
          : level === 'breaking'
            ? ' [no registered operation uses it]'
            : '';
      lines.push(`  - ${change.path ? `${change.path}: ` : ''}${change.message}${use}`);
    }
  }
  if (report.changes.length === 0) lines.push('', 'No change to the API schema.');
  for (const hint of report.composition.hints) {
    lines.push('', `hint ${hint.code}: ${hint.message}`, ...hint.locations.map((l) => `    at ${at(l)}`));
  }
  return lines.join('\n');
}
