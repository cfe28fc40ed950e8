import { Kind, parse, valueFromASTUntyped, type OperationDefinitionNode } from 'graphql';

/** One ready operation from test/operations: the question it answers, and how to ask it. */
export interface Example {
  /** The file name without extension, e.g. `partnerProfile`. */
  readonly id: string;
  readonly title: string;
  readonly explanation: string;
  /** The operation without its leading comment lines. */
  readonly query: string;
  /** The variables' default values, as the JSON the variables editor shows. */
  readonly variables: string;
}

// Read at build time: the explorer ships the same operations the system tests run, so an example
// that stops working fails a test before an analyst sees it.
const sources = import.meta.glob<string>('../../../test/operations/*.graphql', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/**
 * Splits an operation file: the first `# ` line is the title, the following comment lines the
 * explanation, the rest the operation.
 */
export function parseExample(id: string, source: string): Example {
  const lines = source.split('\n');
  const comments: string[] = [];
  while (lines.length > 0 && lines[0]!.startsWith('#')) comments.push(lines.shift()!.replace(/^#\s?/, ''));
  const [title = id, ...explanation] = comments;
  const query = lines.join('\n').trim() + '\n';
  return { id, title, explanation: explanation.join(' ').trim(), query, variables: defaultVariables(query) };
}

function defaultVariables(query: string): string {
  const operation = parse(query).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const variables: Record<string, unknown> = {};
  for (const definition of operation?.variableDefinitions ?? []) {
    if (definition.defaultValue)
      variables[definition.variable.name.value] = valueFromASTUntyped(definition.defaultValue);
  }
  return JSON.stringify(variables, null, 2);
}

export const examples: readonly Example[] = Object.entries(sources)
  .map(([path, source]) => parseExample(path.replace(/^.*\/|\.graphql$/g, ''), source))
  .sort((a, b) => a.title.localeCompare(b.title));
