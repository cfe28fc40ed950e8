import type { Variant } from './operationVariants.js';

/** What the fast gateway's executor has counted: requests it ran, documents it planned. */
export interface ExecutorCounts {
  readonly fast: number;
  readonly planned: number;
}

/** Which executor answered the fast gateway's two requests of a variant. */
export interface Ran {
  /** The first request: a document's first sight when no variant before sent the same query. */
  readonly first: { readonly onOurs: boolean; readonly planned: boolean };
  readonly second: { readonly onOurs: boolean };
}

/** How the two requests ran, from the counts before the first, before the second and after it. */
export function ranFrom(beforeFirst: ExecutorCounts, beforeSecond: ExecutorCounts, after: ExecutorCounts): Ran {
  return {
    first: {
      onOurs: beforeSecond.fast === beforeFirst.fast + 1,
      planned: beforeSecond.planned === beforeFirst.planned + 1,
    },
    second: { onOurs: after.fast === beforeSecond.fast + 1 },
  };
}

/**
 * Runs every variant through `compare` in turn; the labels of those that did not run as they must:
 * a document's first request planned and run on ours, a variant of a document already sent (other
 * variables) on ours from its stored plan, and every second request on ours. Also the number of
 * distinct documents sent.
 */
export async function variantsOffOurPath(
  variants: readonly Variant[],
  compare: (variant: Variant) => Promise<Ran>,
): Promise<{ offPath: string[]; documents: number }> {
  const offPath: string[] = [];
  const documents = new Set<string>();
  for (const variant of variants) {
    const firstSight = !documents.has(variant.query);
    documents.add(variant.query);
    const ran = await compare(variant);
    if (!ran.first.onOurs || ran.first.planned !== firstSight) offPath.push(`${variant.label} (first request)`);
    if (!ran.second.onOurs) offPath.push(variant.label);
  }
  return { offPath, documents: documents.size };
}
