/**
 * Incremental delivery as a client sees it: a `multipart/mixed; deferSpec=20220824` response split
 * into its JSON payloads, and the payloads reassembled the way Apollo Client merges them (each
 * part's data at its path, errors appended), to compare with a response that was not deferred.
 */

import { Kind, parse, print, visit, type FieldNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import type { Variant } from './plan-executor/operationVariants.js';

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
  body: { query: string; variables?: Record<string, unknown> | undefined; operationName?: string },
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

const deferredFragment = (selections: SelectionNode[], label?: string): SelectionNode => ({
  kind: Kind.INLINE_FRAGMENT,
  directives: [
    {
      kind: Kind.DIRECTIVE,
      name: { kind: Kind.NAME, value: 'defer' },
      arguments: label
        ? [
            {
              kind: Kind.ARGUMENT,
              name: { kind: Kind.NAME, value: 'label' },
              value: { kind: Kind.STRING, value: label },
            },
          ]
        : [],
    },
  ],
  selectionSet: { kind: Kind.SELECTION_SET, selections },
});

/**
 * Variants of an operation with @defer: each field with a selection set (those reach other offices
 * or their own office's entities) deferred alone, labelled every other time; every such field of
 * the root's objects deferred at once (nesting has its own test below).
 */
export function deferredVariants(example: Variant): Variant[] {
  const document = parse(example.query);
  const fields: FieldNode[] = [];
  visit(document, {
    Field(node) {
      if (node.selectionSet) fields.push(node);
    },
  });
  const wrap = (chosen: Set<FieldNode>, labelled: boolean, prefix: string): string =>
    print(
      visit(document, {
        SelectionSet(node) {
          let changed = false;
          const selections = node.selections.map((selection, index) => {
            if (selection.kind !== Kind.FIELD || !chosen.has(selection)) return selection;
            changed = true;
            // A copy, which the visit (going on into the new fragment) does not choose again.
            return deferredFragment([{ ...selection }], labelled ? `${prefix}${index}` : undefined);
          });
          return changed ? { ...node, selections } : undefined;
        },
      }),
    );
  const variants = fields.map((field, index) => ({
    ...example,
    label: `${example.label}: ${field.alias?.value ?? field.name.value} #${index} deferred`,
    query: wrap(new Set([field]), index % 2 === 0, `d${index}_`),
  }));
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const second = new Set(
    (operation?.selectionSet.selections ?? [])
      .flatMap((root) => (root.kind === Kind.FIELD ? (root.selectionSet?.selections ?? []) : []))
      .filter((selection): selection is FieldNode => selection.kind === Kind.FIELD && !!selection.selectionSet),
  );
  if (second.size > 1)
    variants.push({ ...example, label: `${example.label}: all deferred`, query: wrap(second, true, 'all') });
  return variants;
}

/**
 * The operation as if written without @defer: a deferred fragment with no type condition and no
 * other directive is unwrapped into its parent (as the variants above wrap a field), any other loses
 * the directive.
 */
export const withoutDefer = (query: string): string =>
  print(
    visit(parse(query), {
      SelectionSet(node) {
        const unwrap = (selection: SelectionNode): SelectionNode[] =>
          selection.kind === Kind.INLINE_FRAGMENT &&
          !selection.typeCondition &&
          (selection.directives ?? []).every((directive) => directive.name.value === 'defer') &&
          (selection.directives ?? []).length > 0
            ? selection.selectionSet.selections.flatMap(unwrap)
            : [selection];
        const selections = node.selections.flatMap(unwrap);
        return selections.length === node.selections.length && selections.every((s, i) => s === node.selections[i])
          ? undefined
          : { ...node, selections };
      },
      Directive: (node) => (node.name.value === 'defer' ? null : undefined),
    }),
  );

/** The operation with its deferred fragments taken out: what the initial payload must hold. */
export const withoutDeferredFragments = (query: string): string =>
  print(
    visit(parse(query), {
      InlineFragment: (node) =>
        node.directives?.some((directive) => directive.name.value === 'defer') ? null : undefined,
      FragmentSpread: (node) =>
        node.directives?.some((directive) => directive.name.value === 'defer') ? null : undefined,
    }),
  );
