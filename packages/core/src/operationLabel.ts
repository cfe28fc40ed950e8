/**
 * Operation names come from clients; past `max` distinct names the rest are counted as `other`, so
 * a client inventing names cannot grow a metric's series without bound.
 */
export function boundedOperationLabel(max = 200): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    const label = name ?? 'anonymous';
    if (seen.has(label)) return label;
    if (seen.size >= max) return 'other';
    seen.add(label);
    return label;
  };
}
