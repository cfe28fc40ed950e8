import { readFile } from 'node:fs/promises';
import { IntrospectAndCompose, type SupergraphSdlHook } from '@apollo/gateway';
import { readCompositionInput } from '@cip/schema';

/** What the gateway does to a supergraph before @apollo/gateway loads it (identity by default). */
export type SupergraphTransform = (supergraphSdl: string) => string;

/** Serves the committed, composed supergraph file: what CI checked is what runs. */
export function supergraphFromFile(path: string, transform: SupergraphTransform): SupergraphSdlHook {
  return async () => ({ supergraphSdl: transform(await readFile(path, 'utf8')) });
}

/**
 * Development only: composes from the running subgraphs named in the composition input, so an
 * SDL change shows up without `npm run compose`.
 */
export async function supergraphFromRunningSubgraphs(
  urlOverrides: Readonly<Record<string, string>>,
): Promise<IntrospectAndCompose> {
  const subgraphs = await readCompositionInput();
  return new IntrospectAndCompose({
    subgraphs: subgraphs.map(({ name, routingUrl }) => ({ name, url: urlOverrides[name] ?? routingUrl })),
  });
}
