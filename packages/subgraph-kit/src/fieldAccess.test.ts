import { buildSubgraphSchema } from '@apollo/subgraph';
import { ANONYMOUS_CLAIMS, type VerifiedClaims } from '@cip/core';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { mayRead, restrictedFields } from './fieldAccess.js';
import { visibleValues } from './writes/audit.js';

const caller = (scopes: string[]): VerifiedClaims => ({ authenticated: true, subject: 'someone', scopes });

const schemaOf = (link: string, typeDefs: string) =>
  buildSubgraphSchema({
    typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.9" ${link})\n${typeDefs}`),
  });

const OFFICE = schemaOf(
  'import: ["@key", "@authenticated", "@requiresScopes"]',
  `type Query { record(id: ID!): Record }
  type Record @key(fields: "id") {
    id: ID!
    shortTitle: String
    internalNotes: String @requiresScopes(scopes: [["office:restricted"]])
    assessment: Assessment @requiresScopes(scopes: [["office:restricted"], ["analyst"]])
    contacts: [Contact!] @authenticated
  }
  type Assessment { text: String! }
  type Contact { name: String!, email: String! @requiresScopes(scopes: [["office:restricted"], ["office:contacts", "office:audit"]]) }`,
);

describe("an office's field rules, from its SDL", () => {
  it('finds the fields marked @authenticated or @requiresScopes, by the names the link imports them under', () => {
    expect(restrictedFields(OFFICE, 'Record').map((field) => field.name)).toEqual([
      'internalNotes',
      'assessment',
      'contacts',
    ]);
    const renamed = schemaOf(
      'import: ["@key", { name: "@requiresScopes", as: "@needs" }]',
      'type Query { a: String @needs(scopes: [["x"]]) b: String @federation__authenticated c: String }',
    );
    expect(restrictedFields(renamed, 'Query').map((field) => [field.name, field.rule])).toEqual([
      ['a', { authenticated: false, anyOfScopeSets: [[['x']]] }],
      ['b', { authenticated: true, anyOfScopeSets: [] }],
    ]);
  });

  it('reads scopes as an OR of ANDs, and @authenticated as any verified caller', () => {
    const [, , contacts] = restrictedFields(OFFICE, 'Record');
    const email = restrictedFields(OFFICE, 'Contact')[0]!.rule;
    expect(mayRead(contacts!.rule, ANONYMOUS_CLAIMS)).toBe(false);
    expect(mayRead(contacts!.rule, caller([]))).toBe(true);
    expect(mayRead(email, caller(['office:contacts']))).toBe(false);
    expect(mayRead(email, caller(['office:contacts', 'office:audit']))).toBe(true);
    expect(mayRead(email, caller(['office:restricted']))).toBe(true);
    expect(mayRead(undefined, ANONYMOUS_CLAIMS)).toBe(true);
  });
});

describe('audit values as a reader may see them', () => {
  const stored = {
    id: 'r-1',
    short_title: 'R1',
    internal_notes: 'Only for the restricted scope.',
    assessment: { text: 'Assessed.' },
    contacts: [{ name: 'A', email: 'a@office.invalid' }],
    archived_at: null,
  };
  const seen = (scopes: string[] | null) =>
    visibleValues({ schema: OFFICE, caller: scopes === null ? ANONYMOUS_CLAIMS : caller(scopes) }, 'Record', stored);

  it('leaves out each field the caller may not see, by its column or field name, nested ones too', () => {
    expect(seen(null)).toEqual({ id: 'r-1', short_title: 'R1', archived_at: null });
    expect(seen(['office:audit'])).toEqual({
      id: 'r-1',
      short_title: 'R1',
      contacts: [{ name: 'A' }],
      archived_at: null,
    });
    expect(seen(['office:audit', 'analyst'])).toMatchObject({ assessment: { text: 'Assessed.' } });
    expect(seen(['office:audit', 'analyst'])).not.toHaveProperty('internal_notes');
    expect(seen(['office:restricted'])).toEqual(stored);
    expect(visibleValues({ schema: OFFICE, caller: caller([]) }, 'Record', { version: 2, internalNotes: 'x' })).toEqual(
      { version: 2 },
    );
  });

  it('leaves values of a type without rules as they are', () => {
    const reader = { schema: OFFICE, caller: ANONYMOUS_CLAIMS };
    expect(visibleValues(reader, 'Assessment', { text: 'x' })).toEqual({ text: 'x' });
    expect(visibleValues(reader, 'Record', null)).toBeNull();
    expect(visibleValues(reader, 'Record', ['a', 'b'])).toEqual(['a', 'b']);
  });
});
