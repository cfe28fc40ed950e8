import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import {
  ANONYMOUS_CLAIMS,
  UNAUTHORIZED_FIELD_MESSAGE,
  decodeClaims,
  encodeClaims,
  type VerifiedClaims,
} from '@cip/core';
import { execute, isObjectType, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { enforceFieldRules, honouredClaims } from './fieldEnforcement.js';

const caller = (scopes: string[]): VerifiedClaims => ({ authenticated: true, subject: 'someone', scopes });
const OPEN: VerifiedClaims = { ...ANONYMOUS_CLAIMS, unrestricted: true };

const RECORD = {
  id: 'r-1',
  title: 'R1',
  internalNotes: 'Restricted.',
  contacts: [{ name: 'A', email: 'a@office.invalid' }],
  review: { text: 'Reviewed.' },
};

/** An office with a rule of each kind: on fields, on a non-null field in a list, on a type, on a mutation. */
const schemaOf = () =>
  buildSubgraphSchema({
    typeDefs:
      parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@authenticated", "@requiresScopes"])
    type Query { record(id: ID!): Record, titled: [Titled!]! }
    type Mutation { renameRecord(id: ID!, title: String!): Record! @requiresScopes(scopes: [["office:write"]]) }
    interface Titled { title: String }
    type Record implements Titled @key(fields: "id") {
      id: ID!
      title: String @requiresScopes(scopes: [["office:titles"]])
      internalNotes: String @requiresScopes(scopes: [["office:restricted"]])
      contacts: [Contact!] @authenticated
      review: Review
    }
    type Contact { name: String!, email: String! @requiresScopes(scopes: [["office:restricted"], ["analyst"]]) }
    type Review @requiresScopes(scopes: [["office:reviews"]]) { text: String! }`),
    resolvers: {
      Query: { record: () => RECORD, titled: () => [RECORD] },
      Mutation: { renameRecord: (_root: unknown, { title }: { title: string }) => ({ ...RECORD, title }) },
      Record: { __resolveReference: ({ id }: { id: string }) => (id === RECORD.id ? RECORD : null) },
    } as unknown as GraphQLResolverMap<unknown>,
  });

const SCHEMA = enforceFieldRules(schemaOf());

const run = async (query: string, claims: VerifiedClaims) =>
  JSON.parse(
    JSON.stringify(await execute({ schema: SCHEMA, document: parse(query), contextValue: { caller: claims } })),
  ) as ExecutionResult;

const refused = (...path: (string | number)[]) =>
  expect.objectContaining({
    message: UNAUTHORIZED_FIELD_MESSAGE,
    path,
    extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
  });

describe("an office enforces its SDL's field rules itself", () => {
  it('nulls each field the caller may not see, with UNAUTHORIZED_FIELD_OR_TYPE at its path, the rest kept', async () => {
    const query = '{ record(id: "r-1") { id internalNotes contacts { name } } }';
    expect(await run(query, ANONYMOUS_CLAIMS)).toEqual({
      data: { record: { id: 'r-1', internalNotes: null, contacts: null } },
      errors: [refused('record', 'internalNotes'), refused('record', 'contacts')],
    });
    expect(await run(query, caller(['office:restricted']))).toEqual({
      data: { record: { id: 'r-1', internalNotes: 'Restricted.', contacts: [{ name: 'A' }] } },
    });
  });

  it('a refused non-null field nulls its nearest nullable parent; either scope set of an OR lets it through', async () => {
    const query = '{ record(id: "r-1") { contacts { name email } } }';
    expect(await run(query, caller([]))).toEqual({
      data: { record: { contacts: null } },
      errors: [refused('record', 'contacts', 0, 'email')],
    });
    for (const scope of ['office:restricted', 'analyst'])
      expect((await run(query, caller([scope]))).data).toEqual({
        record: { contacts: [{ name: 'A', email: 'a@office.invalid' }] },
      });
  });

  it('holds through _entities, for fields resolved by the default resolver', async () => {
    const query = `{ _entities(representations: [{ __typename: "Record", id: "r-1" }]) {
      ... on Record { id internalNotes contacts { email } } } }`;
    expect(await run(query, caller([]))).toEqual({
      data: { _entities: [{ id: 'r-1', internalNotes: null, contacts: null }] },
      errors: [refused('_entities', 0, 'internalNotes'), refused('_entities', 0, 'contacts', 0, 'email')],
    });
    expect((await run(query, caller(['office:restricted']))).errors).toBeUndefined();
  });

  it("applies a type's rule to the fields returning it and to its own fields, and holds through an interface", async () => {
    expect(await run('{ record(id: "r-1") { review { text } } }', caller([]))).toEqual({
      data: { record: { review: null } },
      errors: [refused('record', 'review')],
    });
    const reviewFields = (
      SCHEMA.getType('Review') as { getFields(): Record<string, { resolve?: unknown }> }
    ).getFields();
    expect(reviewFields.text?.resolve).toBeTypeOf('function');
    expect(await run('{ titled { ... on Record { title } } }', caller([]))).toEqual({
      data: { titled: [{ title: null }] },
      errors: [refused('titled', 0, 'title')],
    });
    expect((await run('{ titled { title } }', caller(['office:titles']))).data).toEqual({ titled: [{ title: 'R1' }] });
  });

  it("checks a mutation's write scope before it runs, and the object it returns obeys the read rules", async () => {
    const mutation = 'mutation { renameRecord(id: "r-1", title: "R2") { id internalNotes } }';
    expect(await run(mutation, caller(['office:restricted']))).toEqual({
      data: null,
      errors: [refused('renameRecord')],
    });
    expect(await run(mutation, caller(['office:write']))).toEqual({
      data: { renameRecord: { id: 'r-1', internalNotes: null } },
      errors: [refused('renameRecord', 'internalNotes')],
    });
  });

  it("the open gateway's caller (unrestricted) sees and writes every field", async () => {
    const query = `{ record(id: "r-1") { title internalNotes contacts { email } review { text } } }`;
    expect(await run(query, OPEN)).toEqual({
      data: {
        record: {
          title: 'R1',
          internalNotes: 'Restricted.',
          contacts: [{ email: 'a@office.invalid' }],
          review: { text: 'Reviewed.' },
        },
      },
    });
    expect((await run('mutation { renameRecord(id: "r-1", title: "R2") { title } }', OPEN)).data).toEqual({
      renameRecord: { title: 'R2' },
    });
  });

  it('leaves every field without a rule as it was: no wrapper on the hot path', () => {
    const before = schemaOf();
    const resolversOf = (schema: typeof before) =>
      Object.values(schema.getTypeMap()).flatMap((type) =>
        isObjectType(type)
          ? Object.values(type.getFields()).map((field) => [`${type.name}.${field.name}`, field.resolve] as const)
          : [],
      );
    const original = new Map(resolversOf(before));
    const changed = resolversOf(enforceFieldRules(before))
      .filter(([name, resolve]) => original.get(name) !== resolve)
      .map(([name]) => name);
    expect(changed.sort()).toEqual([
      'Contact.email',
      'Mutation.renameRecord',
      'Record.contacts',
      'Record.internalNotes',
      'Record.review',
      'Record.title',
      'Review.text',
    ]);
  });
});

describe('the open-mode claim', () => {
  it('travels in the signed claims header, `true` only', () => {
    expect(decodeClaims(encodeClaims(OPEN))).toEqual(OPEN);
    expect(decodeClaims(encodeClaims(caller([])))).not.toHaveProperty('unrestricted');
    const loose = Buffer.from(JSON.stringify({ authenticated: false, unrestricted: 'yes' })).toString('base64url');
    expect(decodeClaims(loose)).toEqual(ANONYMOUS_CLAIMS);
  });

  it('is honoured outside production only', () => {
    expect(honouredClaims(OPEN, 'development')).toEqual(OPEN);
    expect(honouredClaims(OPEN, 'test')).toEqual(OPEN);
    expect(honouredClaims(OPEN, 'production')).toEqual(ANONYMOUS_CLAIMS);
    const signedIn = caller(['analyst']);
    expect(honouredClaims(signedIn, 'production')).toBe(signedIn);
  });
});
