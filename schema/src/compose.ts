import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { GraphQLError, Source, parse, printSchema, type DocumentNode } from 'graphql';
import { z } from 'zod';

export const SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const COMPOSITION_INPUT = resolve(SCHEMA_DIR, 'subgraphs.json');
export const SUPERGRAPH_FILE = resolve(SCHEMA_DIR, 'supergraph.graphql');
export const API_SCHEMA_FILE = resolve(SCHEMA_DIR, 'api.graphql');

const compositionInput = z.object({
  subgraphs: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'subgraph names are kebab-case'),
        routingUrl: z.url(),
        schema: z.string().min(1),
      }),
    )
    .min(1),
});

export interface SubgraphInput {
  name: string;
  routingUrl: string;
  /** Absolute path of the SDL file, so problems can point at it. */
  schemaPath: string;
  sdl: string;
}

/** Reads the composition input and every SDL it names. */
export async function readCompositionInput(inputFile = COMPOSITION_INPUT): Promise<SubgraphInput[]> {
  const { subgraphs } = compositionInput.parse(JSON.parse(await readFile(inputFile, 'utf8')));
  const names = new Set<string>();
  return Promise.all(
    subgraphs.map(async ({ name, routingUrl, schema }) => {
      if (names.has(name)) throw new Error(`${inputFile}: subgraph ${name} is listed twice`);
      names.add(name);
      const schemaPath = resolve(dirname(inputFile), schema);
      return { name, routingUrl, schemaPath, sdl: await readFile(schemaPath, 'utf8') };
    }),
  );
}

/** One composition error or hint, with where to fix it when the composer says. */
export interface CompositionProblem {
  code: string;
  message: string;
  /** `path:line:column` of each place the problem points at. */
  locations: string[];
}

export type CompositionOutcome =
  | { ok: true; supergraphSdl: string; apiSdl: string; hints: CompositionProblem[] }
  | { ok: false; errors: CompositionProblem[] };

function locate(error: GraphQLError): string[] {
  const fromNodes = (error.nodes ?? []).flatMap((node) => {
    if (!node.loc) return [];
    const { line, column } = node.loc.source.locationOffset;
    const at = node.loc.source.body.slice(0, node.loc.start).split('\n');
    return [`${node.loc.source.name}:${at.length + line - 1}:${(at.at(-1)?.length ?? 0) + column}`];
  });
  if (fromNodes.length > 0) return fromNodes;
  return (error.locations ?? []).map(({ line, column }) => `${error.source?.name ?? '?'}:${line}:${column}`);
}

function toProblem(error: GraphQLError, fallbackCode: string): CompositionProblem {
  const code = error.extensions.code;
  return { code: typeof code === 'string' ? code : fallbackCode, message: error.message, locations: locate(error) };
}

/**
 * Composes the subgraphs into a supergraph and derives the public API schema clients see. Never
 * throws for a bad SDL: a syntax error or a composition conflict comes back as a coded problem.
 */
export function compose(subgraphs: readonly SubgraphInput[]): CompositionOutcome {
  const parsed: { name: string; url: string; typeDefs: DocumentNode }[] = [];
  const syntaxErrors: CompositionProblem[] = [];
  for (const subgraph of subgraphs) {
    try {
      parsed.push({
        name: subgraph.name,
        url: subgraph.routingUrl,
        typeDefs: parse(new Source(subgraph.sdl, subgraph.schemaPath)),
      });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      syntaxErrors.push(toProblem(error, 'GRAPHQL_PARSE_FAILED'));
    }
  }
  if (syntaxErrors.length > 0) return { ok: false, errors: syntaxErrors };
  const result = composeServices(parsed);
  if (result.errors) return { ok: false, errors: result.errors.map((error) => toProblem(error, 'COMPOSITION_FAILED')) };
  return {
    ok: true,
    supergraphSdl: result.supergraphSdl,
    apiSdl: `${printSchema(result.schema.toAPISchema().toGraphQLJSSchema())}\n`,
    hints: result.hints.map((hint) => ({
      code: hint.definition.code,
      message: hint.message,
      locations: (hint.nodes ?? []).flatMap((node) =>
        node.loc
          ? [`${node.subgraph ?? node.loc.source.name}:${node.loc.startToken.line}:${node.loc.startToken.column}`]
          : [],
      ),
    })),
  };
}

/** A readable report of problems, one per paragraph, each with its code and where to fix it. */
export function formatProblems(kind: 'error' | 'hint', problems: readonly CompositionProblem[]): string {
  return problems
    .map(
      (problem) =>
        `${kind} ${problem.code}: ${problem.message}${problem.locations.map((at) => `\n    at ${at}`).join('')}`,
    )
    .join('\n');
}
