// A graphql-codegen plugin: the trusted-documents manifest (Apollo's persisted query manifest
// format) of the client operations. Each id is the sha256 of the printed operation, the string a
// client sends as `query` or hashes for `extensions.persistedQuery.sha256Hash`.
import { createHash } from 'node:crypto';
import { Kind, print } from 'graphql';

export const plugin = (_schema, documents) => {
  const operations = documents
    .filter(({ document }) => document !== undefined)
    .flatMap(({ document }) =>
      document.definitions
        .filter((definition) => definition.kind === Kind.OPERATION_DEFINITION)
        .map((operation) => {
          const body = print(document);
          return {
            id: createHash('sha256').update(body).digest('hex'),
            name: operation.name ? operation.name.value : '',
            type: operation.operation,
            body,
          };
        }),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  return JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }, null, 2) + '\n';
};
