/** The label value of every operation name that is not a known one. */
const OTHER_OPERATION = 'other';

/**
 * Operation names come from clients; past `max` distinct names the rest are counted as `other`, so
 * a client inventing names cannot grow a metric's series without bound. For the offices, which
 * see the names the gateway forwards; the gateway labels only registered names (below).
 */
export function boundedOperationLabel(max = 200): (name: string | null | undefined) => string {
  const seen = new Set<string>();
  return (name) => {
    const label = name ?? 'anonymous';
    if (seen.has(label)) return label;
    if (seen.size >= max) return OTHER_OPERATION;
    seen.add(label);
    return label;
  };
}

/**
 * Only the names an operator registered (the trusted-document manifest) become label values; any
 * other name, and no name, is `other`. Unlike a cap on the first names seen, a client cannot take
 * the labels for its own names before the real operations are counted, and the series are the
 * same in every replica.
 */
export function registeredOperationLabel(registered: Iterable<string>): (name: string | null | undefined) => string {
  const names = new Set(registered);
  return (name) => (name !== null && name !== undefined && names.has(name) ? name : OTHER_OPERATION);
}
