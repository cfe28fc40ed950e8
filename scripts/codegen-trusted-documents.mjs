// A graphql-codegen plugin: the trusted-documents manifest (Apollo's persisted query manifest
// format) of the client operations. Each id is the sha256 of the printed operation, the string a
// client sends as `query` or hashes for `extensions.persistedQuery.sha256Hash`.
//
// Not a command: `npm run codegen` loads it (codegen.ts). Run directly it reads its command line,
// for --help, and does nothing else; loaded as a plugin it leaves the command line to graphql-codegen.
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Kind, print } from 'graphql';
import { readCommandLine } from '../bench/lib/commandLine.mjs';

const HELP = `node scripts/codegen-trusted-documents.mjs: the graphql-codegen plugin that writes gateway/trusted-documents.json.

Usage: node scripts/codegen-trusted-documents.mjs

Options:
  -h, --help  print this help and exit

Not a command: \`npm run codegen\` runs it through codegen.ts, over test/operations/*.graphql, and
\`npm run codegen:check\` fails when the committed manifest is stale. Run directly, it does nothing.
`;

const isMain = process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
if (isMain) readCommandLine({ name: 'node scripts/codegen-trusted-documents.mjs', help: HELP });

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
