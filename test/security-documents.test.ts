import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

const manifest = JSON.parse(readFileSync(new URL('../gateway/trusted-documents.json', import.meta.url), 'utf8')) as {
  operations: { id: string; name: string; body: string }[];
};
const landBorder = manifest.operations.find((operation) => operation.name === 'LandBorderPartners')!;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byHash = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

describe('trusted documents (TRUSTED_DOCUMENTS=enforce, production)', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH, NODE_ENV: 'production', TRUSTED_DOCUMENTS: 'enforce' });
  });
  afterAll(() => system.stop());

  it('the manifest holds every client operation, each id the sha256 of its body', () => {
    expect(manifest.operations.map((operation) => operation.name)).toContain('PartnerProfile');
    for (const operation of manifest.operations) expect(operation.id).toBe(sha256(operation.body));
  });

  it('an anonymous caller can run a trusted document by its hash, or by sending it whole', async () => {
    const hashed = await post(system.gatewayUrl, byHash(landBorder.id));
    expect(hashed.status).toBe(200);
    expect(hashed.body.errors).toBeUndefined();
    expect(hashed.body.data.partners.nodes.length).toBeGreaterThan(0);
    const whole = await post(system.gatewayUrl, { query: landBorder.body });
    expect(whole.body).toEqual(hashed.body);
  });

  it('an anonymous caller gets OPERATION_NOT_TRUSTED for an ad-hoc document, and PERSISTED_QUERY_NOT_FOUND for an unknown hash', async () => {
    const adHoc = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { name } }' });
    expect(adHoc.status).toBe(403);
    expect(adHoc.body.errors[0].extensions.code).toBe('OPERATION_NOT_TRUSTED');
    const unknown = await post(system.gatewayUrl, byHash('0'.repeat(64)));
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a token without the analyst scope is held to trusted documents too', async () => {
    const token = await makeToken({ scopes: ['partners:restricted'] });
    const adHoc = await post(system.gatewayUrl, { query: '{ partner(id: "canada") { name } }' }, token);
    expect(adHoc.body.errors[0].extensions.code).toBe('OPERATION_NOT_TRUSTED');
  });

  it('an analyst may send ad-hoc documents, and APQ works for them', async () => {
    const token = await makeToken({ scopes: ['analyst'] });
    const query = '{ partner(id: "mexico") { name } }';
    const miss = await post(system.gatewayUrl, byHash(sha256(query)), token);
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = await post(system.gatewayUrl, { query, ...byHash(sha256(query)) }, token);
    expect(register.body).toEqual({ data: { partner: { name: 'Mexico' } } });
    const hit = await post(system.gatewayUrl, byHash(sha256(query)), token);
    expect(hit.body).toEqual({ data: { partner: { name: 'Mexico' } } });
  });
});

describe('schema disclosure and CSRF (production, ad-hoc documents allowed)', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH, NODE_ENV: 'production' });
  });
  afterAll(() => system.stop());

  it('"Did you mean" suggestions are dropped for callers without a token, kept for signed-in ones', async () => {
    const query = '{ partner(id: "canada") { nam } }';
    const anonymous = await post(system.gatewayUrl, { query });
    expect(anonymous.status).toBe(400);
    expect(anonymous.body.errors[0].message).toBe('Cannot query field "nam" on type "Partner".');
    const signedIn = await post(system.gatewayUrl, { query }, await makeToken());
    expect(signedIn.body.errors[0].message).toMatch(/Did you mean "name"/);
  });

  it('introspection in production is for analysts only', async () => {
    const query = '{ __schema { queryType { name } } }';
    const analyst = await post(system.gatewayUrl, { query }, await makeToken({ scopes: ['analyst'] }));
    expect(analyst.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    const refused = await post(system.gatewayUrl, { query: '{ __type(name: "Partner") { name } }' }, await makeToken());
    expect(refused.status).toBe(403);
    expect(refused.body.errors[0].extensions.code).toBe('INTROSPECTION_DISABLED');
  });

  it('introspection through a fragment is refused to non-analysts too', async () => {
    const query = '{ ...Q } fragment Q on Query { __schema { types { name } } }';
    const refused = await post(system.gatewayUrl, { query });
    expect(refused.body.errors[0].extensions.code).toBe('INTROSPECTION_DISABLED');
  });

  it('CSRF prevention: a simple (form-like) request is refused before it runs', async () => {
    const form = await fetch(system.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ partner(id: "canada") { name } }' }),
    });
    expect(form.status).toBe(400);
    const get = await fetch(`${system.gatewayUrl}?query=${encodeURIComponent('{ partner(id: "canada") { name } }')}`);
    expect(get.status).toBe(400);
    expect(((await get.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    const preflighted = await fetch(
      `${system.gatewayUrl}?query=${encodeURIComponent('{ partner(id: "canada") { name } }')}`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(preflighted.status).toBe(200);
  });
});
