import { describe, expect, it } from 'vitest';
import { restrictToCacheControl } from './cacheControl.js';

function hintFor(header: string | null): unknown {
  let hint: unknown;
  restrictToCacheControl({ restrict: (given) => (hint = given) }, header);
  return hint;
}

describe('restrictToCacheControl', () => {
  it("reads a subgraph's Cache-Control as RemoteGraphQLDataSource does", () => {
    expect(hintFor(null)).toEqual({ maxAge: 0 });
    expect(hintFor('max-age=30, private')).toEqual({ maxAge: 30, scope: 'PRIVATE' });
    expect(hintFor(' public , max-age = "60" ')).toEqual({ maxAge: 60, scope: 'PUBLIC' });
    // Public after private wins, as there; a max-age that is not a whole number counts as 0.
    expect(hintFor('private, public, max-age=1.5')).toEqual({ maxAge: 0, scope: 'PUBLIC' });
    expect(hintFor('no-store')).toEqual({ maxAge: 0 });
  });
});
