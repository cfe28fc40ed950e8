import { fileURLToPath } from 'node:url';

/** The manifest of trusted documents that `npm run codegen` writes from `test/operations/*.graphql`. */
export const TRUSTED_DOCUMENTS_FILE = fileURLToPath(new URL('../../trusted-documents.json', import.meta.url));
