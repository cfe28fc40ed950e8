/**
 * Incremental delivery as a client sees it: a `multipart/mixed; deferSpec=20220824` response split
 * into its JSON payloads, and the payloads reassembled the way Apollo Client merges them (each
 * part's data at its path, errors appended), to compare with a response that was not deferred.
 */

export const DEFER_ACCEPT = 'multipart/mixed;deferSpec=20220824,application/json';

export interface IncrementalItem {
  data?: Record<string, unknown> | null;
  path: (string | number)[];
  label?: string;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface IncrementalPayload {
  data?: Record<string, unknown> | null;
  errors?: IncrementalItem['errors'];
  extensions?: Record<string, unknown>;
  incremental?: IncrementalItem[];
  hasNext?: boolean;
}

export interface IncrementalResponse {
  status: number;
  contentType: string;
  /** Every JSON part of a multipart body, in order; a single JSON body as one payload. */
  payloads: IncrementalPayload[];
}

/** Splits a multipart/mixed body (boundary `-`, as Apollo Server and Apollo Router write it) into its JSON parts. */
export function parseMultipart(body: string, boundary = '-'): IncrementalPayload[] {
  const delimiter = `\r\n--${boundary}`;
  const payloads: IncrementalPayload[] = [];
  const sections = `\r\n${body}`.split(delimiter).slice(1);
  for (const section of sections) {
    if (section.startsWith('--')) break;
    const headerEnd = section.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const json = section.slice(headerEnd + 4).trim();
    if (json) payloads.push(JSON.parse(json) as IncrementalPayload);
  }
  return payloads;
}

/** POSTs an operation with `accept` (by default one taking deferSpec=20220824) and reads every payload. */
export async function postIncremental(
  url: string,
  body: { query: string; variables?: Record<string, unknown>; operationName?: string },
  headers: Record<string, string> = {},
): Promise<IncrementalResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: DEFER_ACCEPT, ...headers },
    body: JSON.stringify(body),
  });
  const contentType = response.headers.get('content-type') ?? '';
  const text = await response.text();
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  const payloads = contentType.startsWith('multipart/mixed')
    ? parseMultipart(text, boundary)
    : [JSON.parse(text) as IncrementalPayload];
  return { status: response.status, contentType, payloads };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mergeAt(target: Json, source: Json): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) mergeAt(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value) && existing.length === value.length) {
      value.forEach((element: unknown, index) => {
        const into: unknown = existing[index];
        if (isObject(into) && isObject(element)) mergeAt(into, element);
        else existing[index] = element;
      });
    } else target[key] = value;
  }
}

/**
 * The payloads merged as Apollo Client merges them: the initial data, each part's data merged into
 * the object at its path, every payload's errors in order. Throws when a part's path does not lead
 * to an object of the data so far, or when the last payload still says `hasNext`.
 */
export function reassemble(payloads: readonly IncrementalPayload[]): {
  data?: Json | null;
  errors?: IncrementalItem['errors'];
} {
  const [initial, ...rest] = payloads;
  if (!initial) throw new Error('No payload');
  const data = structuredClone(initial.data);
  const errors = [...(initial.errors ?? [])];
  for (const payload of rest) {
    for (const item of payload.incremental ?? []) {
      errors.push(...(item.errors ?? []));
      if (!item.data) continue;
      let target: unknown = data;
      for (const key of item.path) target = (target as Record<string | number, unknown> | null)?.[key];
      if (!isObject(target)) throw new Error(`A part's path ${JSON.stringify(item.path)} leads to no object`);
      mergeAt(target, item.data);
    }
  }
  const last = payloads[payloads.length - 1];
  if (payloads.length > 1 && last?.hasNext !== false) throw new Error('The last payload says hasNext');
  return { ...(data === undefined ? {} : { data }), ...(errors.length > 0 ? { errors } : {}) };
}
