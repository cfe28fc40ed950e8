import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, type DocumentNode, type OperationTypeNode } from 'graphql';
import { REPO_ROOT } from './processes.js';

/** A client operation of test/operations/, the documents frontends type their code with. */
export interface ClientOperation {
  /** Its file name, e.g. `partnerProfile.graphql`. */
  readonly name: string;
  readonly query: string;
  readonly document: DocumentNode;
  readonly type: `${OperationTypeNode}`;
}

/** An operation users ask, with the variables that make it ask the seed data. */
export interface ExampleOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

const OPERATIONS_DIR = join(REPO_ROOT, 'test', 'operations');
const E2E_MIX = join(REPO_ROOT, 'bench', 'queries', 'e2e-mix.json');
// The bench's variants name generated records; the seed's own ids ask the same questions here.
const SEED_IDS: Record<string, string> = {
  'partner profile': 'canada',
  'partner profile (an organization)': 'nato',
  'sector overview and cascade': 'energy',
};

/** The client operations (test/operations/*.graphql), by file name; `type` picks one kind (`query`). */
export function clientOperations(type?: `${OperationTypeNode}`): ClientOperation[] {
  return readdirSync(OPERATIONS_DIR)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const query = readFileSync(join(OPERATIONS_DIR, file), 'utf8');
      const document = parse(query);
      const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
      if (!operation) throw new Error(`test/operations/${file} holds no operation`);
      return { name: file, query, document, type: `${operation.operation}` as const };
    })
    .filter((operation) => type === undefined || operation.type === type);
}

/** The client queries (test/operations/*.graphql, by file name) and the bench's e2e questions, on the seed. */
export function exampleOperations(): ExampleOperation[] {
  const files = clientOperations('query').map(({ name, query }) => ({ name, query }));
  const mix = JSON.parse(readFileSync(E2E_MIX, 'utf8')) as {
    requests: { name: string; query: string; variants?: Record<string, unknown>[] }[];
  };
  return [
    ...files,
    ...mix.requests.map((request) => {
      const seedId = SEED_IDS[request.name];
      return {
        name: `e2e-mix: ${request.name}`,
        query: request.query,
        variables: { ...request.variants?.[0], ...(seedId ? { id: seedId } : {}) },
      };
    }),
  ];
}
