import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { acceptsDeferSpec20220824 } from './acceptNegotiation.js';

// The negotiator Apollo Server itself resolves (one of its dependencies, not ours): the reference.
const apolloRequire = createRequire(createRequire(import.meta.url).resolve('@apollo/server'));
const Negotiator = apolloRequire('negotiator') as new (request: { headers: { accept?: string } }) => {
  mediaType(available: string[]): string | undefined;
};
const APOLLO_CANDIDATES = [
  'multipart/mixed',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed; deferSpec=20220824',
];

const apolloStreamsDeferSpec = (accept: string | undefined): boolean =>
  accept !== undefined &&
  new Negotiator({ headers: { accept } }).mediaType(APOLLO_CANDIDATES) === 'multipart/mixed; deferSpec=20220824';

const HEADERS = [
  undefined,
  '',
  'application/json',
  '*/*',
  'multipart/mixed',
  'multipart/mixed;deferSpec=20220824',
  'multipart/mixed; deferSpec=20220824, application/json',
  'multipart/mixed;deferSpec=20220824,application/json',
  'application/json, multipart/mixed;deferSpec=20220824',
  'multipart/mixed;deferSpec="20220824"',
  'multipart/mixed;deferspec=20220824',
  'MULTIPART/MIXED;deferSpec=20220824',
  'multipart/mixed;deferSpec=20220824;q=0, application/json',
  'multipart/mixed;deferSpec=20220824;q=0.5, multipart/mixed;incrementalSpec=v0.2',
  'multipart/mixed;incrementalSpec=v0.2;q=0.5, multipart/mixed;deferSpec=20220824',
  'multipart/mixed;incrementalSpec=v0.2, multipart/mixed;deferSpec=20220824',
  'multipart/mixed;deferSpec=20220824, multipart/mixed;incrementalSpec=v0.2',
  'multipart/mixed, multipart/mixed;deferSpec=20220824',
  'multipart/*;deferSpec=20220824',
  'multipart/mixed;deferSpec=20220824;foo=bar',
  'multipart/mixed;deferSpec=20220101, application/json',
  'text/html, multipart/mixed;deferSpec=20220824;q=0.9',
];

describe('acceptsDeferSpec20220824: Apollo Server streams deferSpec=20220824 for exactly these Accept headers', () => {
  it.each(HEADERS.map((accept) => [accept ?? '(none)', accept]))('%s', (_name, accept) => {
    expect(acceptsDeferSpec20220824(accept)).toBe(apolloStreamsDeferSpec(accept));
  });

  it("Apollo Client's and Apollo Router's headers stream; a JSON client's does not", () => {
    expect(acceptsDeferSpec20220824('multipart/mixed;deferSpec=20220824,application/json')).toBe(true);
    expect(acceptsDeferSpec20220824('application/json')).toBe(false);
  });
});
