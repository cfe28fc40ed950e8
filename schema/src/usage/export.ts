import { createHash } from 'node:crypto';
import { Kind, parse } from 'graphql';
import type { UsageSnapshot } from './usage.js';

/** Apollo's persisted query manifest, as `npm run codegen` writes gateway/trusted-documents.json. */
export interface TrustedDocumentsManifest {
  format: 'apollo-persisted-query-manifest';
  version: 1;
  operations: { id: string; name: string; type: string; body: string }[];
}

/**
 * The documents seen in the snapshot as a trusted-documents manifest: each id the sha256 of the
 * text as the client sent it, which is what the enforcement hashes. A document recorded without its
 * text (too long) cannot be listed: `skipped` counts them.
 */
export function seenDocumentsManifest(snapshot: UsageSnapshot): {
  manifest: TrustedDocumentsManifest;
  skipped: number;
} {
  const seen = new Set(snapshot.counts.map((count) => count.hash));
  const operations: TrustedDocumentsManifest['operations'] = [];
  let skipped = 0;
  for (const hash of seen) {
    const document = snapshot.documents.get(hash);
    if (!document?.body) {
      skipped++;
      continue;
    }
    const definition = parse(document.body).definitions.find(
      (node) =>
        node.kind === Kind.OPERATION_DEFINITION && (document.name === null || node.name?.value === document.name),
    );
    operations.push({
      id: createHash('sha256').update(document.body).digest('hex'),
      name: document.name ?? '',
      type: definition?.kind === Kind.OPERATION_DEFINITION ? definition.operation : 'query',
      body: document.body,
    });
  }
  operations.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return { manifest: { format: 'apollo-persisted-query-manifest', version: 1, operations }, skipped };
}
