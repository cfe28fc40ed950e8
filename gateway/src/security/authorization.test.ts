import { buildSchema, parse, print, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { authorizeOperation, restoreDeferredPart, restoreShape, satisfies } from './authorization.js';
import { ANONYMOUS, OPEN_CALLER, type Caller } from './jwt.js';
import { secureSupergraph } from './supergraphSecurity.js';

// A schema shaped to reach every corner: an interface whose implementations differ, a union, a
// type-level rule, a non-null restricted field under non-null parents.
const schema = buildSchema(`
  type Query { node(id: ID!): Node  search: [Result!]!  secretRoot: Vault!  office: Office }
  interface Node { id: ID!  label: String }
  type Open implements Node { id: ID!  label: String }
  type Guarded implements Node { id: ID!  label: String }
  type Vault { code: String! }
  union Result = Open | Vault
  type Office { name: String  staff: [Person!]! }
  type Person { name: String  phone: String! }
`);
const policy = secureSupergraph(`
  schema @link(url: "https://specs.apollo.dev/link/v1.0") @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY) @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY) { query: Query }
  type Guarded { label: String @requiresScopes(scopes: [["guard"]]) }
  type Vault @authenticated { code: String! }
  type Person { phone: String! @requiresScopes(scopes: [["hr", "phones"], ["admin"]]) }
`).policy;

const caller = (...scopes: string[]): Caller => ({
  authenticated: true,
  subject: 's',
  scopes: new Set(scopes),
  unrestricted: false,
});

function run(query: string, who: Caller) {
  const document = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;
  return authorizeOperation(schema, document, operation, policy, who);
}

describe('authorizing an operation', () => {
  it('scope sets are alternatives of scopes held together', () => {
    const requirement = policy.fields.get('Person.phone');
    expect(satisfies(requirement, caller('hr'))).toBe(false);
    expect(satisfies(requirement, caller('hr', 'phones'))).toBe(true);
    expect(satisfies(requirement, caller('admin'))).toBe(true);
    expect(satisfies(requirement, OPEN_CALLER)).toBe(true);
  });

  it('a field asked through an interface takes the rules of every implementation', () => {
    const result = run('{ node(id: "1") { id label } }', caller());
    expect(result.denied).toEqual([['node', 'label']]);
    expect(print(result.document)).toContain('label: __typename');
    expect(run('{ node(id: "1") { id label } }', caller('guard')).denied).toEqual([]);
    // Asked on the open implementation only, the field is allowed.
    expect(run('{ node(id: "1") { ... on Open { label } } }', caller()).denied).toEqual([]);
  });

  it('a union member with a type rule is skipped for those without it', () => {
    const result = run('{ search { ... on Open { id } ... on Vault { code } } }', ANONYMOUS);
    expect(result.denied).toEqual([['search']]);
    expect(print(result.document)).not.toContain('Vault');
  });

  it('a non-null restricted field nulls its nearest nullable parent, through non-null lists', () => {
    const result = run('{ office { name staff { name phone } } }', caller('hr'));
    expect(result.denied).toEqual([['office', 'staff', 'phone']]);
    expect(result.nulled).toEqual([['office']]);
    expect(restoreShape({ office: { name: 'x' } }, result)).toEqual({ office: null });
  });

  it('a field removed under a fragment on one type stays absent from objects of another type', () => {
    const result = run('{ node(id: "1") { ... on Guarded { label } ... on Open { id } } }', caller());
    expect(result.nulled).toEqual([['node', 'label']]);
    expect(restoreShape({ node: { label: 'Guarded' } }, result)).toEqual({ node: { label: null } });
    // An Open node never had the key: it gets no null it was not asked for.
    expect(restoreShape({ node: { id: '1' } }, result)).toEqual({ node: { id: '1' } });
  });

  it('with no nullable parent up to the root, the whole data is null', () => {
    const result = run('{ secretRoot { code } }', ANONYMOUS);
    expect(result.denied).toEqual([['secretRoot']]);
    expect(result.dataNulled).toBe(true);
    expect(restoreShape({ authorizationPlaceholder__: 'Query' }, result)).toBeNull();
  });

  it('named fragments are inlined, so a rule holds inside them', () => {
    const result = run('{ office { ...Staff } } fragment Staff on Office { staff { p: phone } }', caller());
    expect(result.denied).toEqual([['office', 'staff', 'p']]);
    expect(result.document.definitions).toHaveLength(1);
  });

  it('nothing denied: the document is returned as it was', () => {
    const document = parse('{ office { name } }');
    const result = authorizeOperation(
      schema,
      document,
      document.definitions[0] as OperationDefinitionNode,
      policy,
      ANONYMOUS,
    );
    expect(result.document).toBe(document);
  });

  it('a restricted field inside a deferred fragment: nulled in the part that shows it, its error there once', () => {
    const document = parse('{ node(id: "g") { id ... on Guarded @defer { label } } office { name } }');
    const result = authorizeOperation(
      schema,
      document,
      document.definitions[0] as OperationDefinitionNode,
      policy,
      ANONYMOUS,
    );
    expect(result.denied).toEqual([['node', 'label']]);
    expect(result.nulled).toEqual([['node', 'label']]);
    expect(result.deferred).toEqual(new Set([...result.denied, ...result.nulled]));
    // The initial payload: nothing of the deferred fragment is put in.
    const initial = { node: { id: 'g' }, office: { name: 'HQ' } };
    expect(restoreShape(structuredClone(initial), result)).toEqual(initial);
    // The part at `node` shows the stand-in: nulled there, with the error, once.
    const reported = new Set<readonly string[]>();
    const part = { label: 'Guarded' };
    expect(restoreDeferredPart(part, ['node'], result, reported)).toEqual([
      {
        message: expect.any(String) as unknown,
        path: ['node', 'label'],
        extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
      },
    ]);
    expect(part).toEqual({ label: null });
    expect(restoreDeferredPart({ label: 'Guarded' }, ['node'], result, reported)).toEqual([]);
    // A part elsewhere (another office's object) is left alone.
    const other = { name: 'HQ' };
    expect(restoreDeferredPart(other, ['office'], result, new Set())).toEqual([]);
    expect(other).toEqual({ name: 'HQ' });
  });
});
