/**
 * The multipart media types Apollo Server negotiates for an incremental response, in its order
 * (`runHttpQuery.ts`); it streams deferSpec=20220824 only when that one is the client's choice.
 */
const CANDIDATES = [
  { type: 'multipart/mixed', params: {} },
  { type: 'multipart/mixed', params: { incrementalspec: 'v0.2' } },
  { type: 'multipart/mixed', params: { deferspec: '20220824' } },
] as const;
const DEFER_SPEC_20220824 = 2;

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly params: Record<string, string>;
  readonly q: number;
  readonly order: number;
}

function parseAccept(accept: string): MediaRange[] {
  return accept.split(',').flatMap((entry, order) => {
    const [mediaType = '', ...parameters] = entry.split(';').map((part) => part.trim());
    const [type, subtype] = mediaType.toLowerCase().split('/');
    if (!type || !subtype) return [];
    const params: Record<string, string> = {};
    let q = 1;
    for (const parameter of parameters) {
      const [rawKey = '', rawValue = ''] = parameter.split('=').map((part) => part.trim());
      const key = rawKey.toLowerCase();
      const value = rawValue.replace(/^"(.*)"$/, '$1');
      if (key === 'q') q = Number.parseFloat(value);
      else if (key) params[key] = value.toLowerCase();
    }
    return [{ type, subtype, params, q: Number.isFinite(q) ? q : 0, order }];
  });
}

/**
 * Whether a response to this `accept` header may stream `@defer` parts as
 * `multipart/mixed; deferSpec=20220824`: the `negotiator` package's choice among Apollo Server's
 * three candidates (by quality, then how specific the matching range is, then its place in the
 * header), as Apollo Server makes it before writing a multipart body.
 */
export function acceptsDeferSpec20220824(accept: string | null | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  let best: { index: number; q: number; specificity: number; order: number } | undefined;
  CANDIDATES.forEach((candidate, index) => {
    const [type, subtype] = candidate.type.split('/');
    let match: { q: number; specificity: number; order: number } | undefined;
    for (const range of ranges) {
      let specificity = 0;
      if (range.type === type) specificity |= 4;
      else if (range.type !== '*') continue;
      if (range.subtype === subtype) specificity |= 2;
      else if (range.subtype !== '*') continue;
      const keys = Object.keys(range.params);
      const params = candidate.params as Record<string, string>;
      if (!keys.every((key) => range.params[key] === '*' || params[key] === range.params[key])) continue;
      if (keys.length > 0) specificity |= 1;
      // negotiator's tie-breaks for one candidate: the most specific range, then the higher q, then the later one.
      if (
        !match ||
        specificity > match.specificity ||
        (specificity === match.specificity && (range.q > match.q || (range.q === match.q && range.order > match.order)))
      )
        match = { q: range.q, specificity, order: range.order };
    }
    if (!match || match.q <= 0) return;
    const better =
      !best ||
      match.q > best.q ||
      (match.q === best.q &&
        (match.specificity > best.specificity || (match.specificity === best.specificity && match.order < best.order)));
    if (better) best = { index, ...match };
  });
  return best?.index === DEFER_SPEC_20220824;
}
