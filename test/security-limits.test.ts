import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { post } from '@cip/testing/tokens';

/** Small limits, so that "just under" and "just over" are short operations. */
const LIMITS = {
  LIMIT_MAX_DEPTH: '4',
  LIMIT_MAX_ALIASES: '3',
  LIMIT_MAX_ROOT_FIELDS: '3',
  LIMIT_MAX_DIRECTIVES: '2',
  LIMIT_MAX_TOKENS: '40',
  LIMIT_MAX_COST: '52',
  LIMIT_MAX_BATCH: '2',
  MAX_BODY_BYTES: '2000',
};

const nested = (levels: number) =>
  `{ partner(id: "g8") { ${'memberOf { organization { '.repeat(levels)}id${' } }'.repeat(levels)} } }`;
const aliases = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: __typename`).join(' ')} }`;
const rootFields = (count: number) =>
  `{ ${['partner(id: "g8") { id }', 'agreement(id: "x") { id }', 'sector(id: "x") { id }', 'threatFocusArea(id: "x") { id }'].slice(0, count).join(' ')} }`;
const directives = (count: number) =>
  `{ partner(id: "g8") { ${Array.from({ length: count }, (_, i) => `f${i}: id @include(if: true)`).join(' ')} } }`;
// partners (1) + nodes (1) + first x memberOf (1) = first + 2.
const cost = (first: number) => `{ partners(first: ${first}) { nodes { memberOf { asOfYear } } } }`;

describe('abuse limits: one just under passes, one just over fails with its code, before execution', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem(LIMITS);
  });
  afterAll(() => system.stop());

  it.each([
    ['depth', nested(1), nested(2), 'MAX_DEPTH_EXCEEDED'],
    ['aliases', aliases(3), aliases(4), 'MAX_ALIASES_EXCEEDED'],
    ['root fields', rootFields(3), rootFields(4), 'MAX_ROOT_FIELDS_EXCEEDED'],
    ['directives', directives(2), directives(3), 'MAX_DIRECTIVES_EXCEEDED'],
    ['cost', cost(50), cost(51), 'COST_LIMIT_EXCEEDED'],
    // `{ partner ( id : "g8" ) {` is 8 tokens, the closing braces 2: 40 and 41 tokens.
    [
      'tokens',
      `{ partner(id: "g8") { ${'id '.repeat(30)}} }`,
      `{ partner(id: "g8") { ${'id '.repeat(31)}} }`,
      'MAX_TOKENS_EXCEEDED',
    ],
  ])('%s', async (_limit, under, over, code) => {
    const passed = await post(system.gatewayUrl, { query: under });
    expect(passed.status).toBe(200);
    expect(passed.body.errors).toBeUndefined();
    const refused = await post(system.gatewayUrl, { query: over });
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors[0].extensions.code).toBe(code);
  });

  it('depth counts fields reached through fragments', async () => {
    const query = `{ partner(id: "g8") { ...M } } fragment M on Partner { memberOf { organization { memberOf { organization { id } } } } }`;
    const { status, body } = await post(system.gatewayUrl, { query });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('MAX_DEPTH_EXCEEDED');
  });

  it('cost follows page sizes given in variables', async () => {
    const query = 'query ($n: Int) { partners(first: $n) { nodes { memberOf { asOfYear } } } }';
    expect((await post(system.gatewayUrl, { query, variables: { n: 50 } })).status).toBe(200);
    const over = await post(system.gatewayUrl, { query, variables: { n: 51 } });
    expect(over.body.errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
  });

  it('batches: as many operations as the limit, not one more', async () => {
    const operation = { query: '{ partner(id: "g8") { id } }' };
    const under = await post(system.gatewayUrl, [operation, operation]);
    expect(under.status).toBe(200);
    expect(under.body).toEqual([{ data: { partner: { id: 'g8' } } }, { data: { partner: { id: 'g8' } } }]);
    const over = await post(system.gatewayUrl, [operation, operation, operation]);
    expect(over.status).toBe(400);
    expect(over.body).toHaveLength(3);
    for (const result of over.body) {
      expect(result.data).toBeUndefined();
      expect(result.errors[0].extensions.code).toBe('BATCH_LIMIT_EXCEEDED');
    }
  });

  it('request body size', async () => {
    const padding = (bytes: number) => ({
      query: '{ partner(id: "g8") { id } }',
      extensions: { pad: 'x'.repeat(bytes) },
    });
    const base = JSON.stringify(padding(0)).length;
    expect((await post(system.gatewayUrl, padding(2000 - base))).status).toBe(200);
    const over = await post(system.gatewayUrl, padding(2001 - base));
    expect(over.status).toBe(413);
    expect(over.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

/**
 * Issue 13: the estimate is of what runs. Four nested pages of `first` cost 210 210 202 at 100 a
 * page, about 1.7 million at the offices' default page of 20, 212 122 at the 10 the old estimate
 * assumed: under the default LIMIT_MAX_COST of 1 000 000 only when it is estimated wrong.
 */
const deep = (first: string) =>
  `{ partners(first: ${first}) { nodes { agreements(first: ${first}) { nodes { parties { agreements(first: ${first}) { nodes { parties { agreements(first: ${first}) { nodes { id title } } } } } } } } } } }`;
const DEFAULTED = `query Defaulted($n: Int = 100) ${deep('$n')}`;
const GIVEN = `query Given($n: Int) ${deep('$n')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const byHash = (query: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });

describe('the cost limit measures what runs: variable defaults, null pages, APQ and trusted documents', () => {
  let system: RunningSystem;
  let manifestDirectory: string;
  beforeAll(async () => {
    manifestDirectory = mkdtempSync(join(tmpdir(), 'cip-limits-'));
    const manifest = join(manifestDirectory, 'trusted-documents.json');
    const operations = [{ id: sha256(DEFAULTED), name: 'Defaulted', type: 'query', body: DEFAULTED }];
    writeFileSync(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
    system = await startSystem({ TRUSTED_DOCUMENTS: 'allow', TRUSTED_DOCUMENTS_PATH: manifest });
  });
  afterAll(async () => {
    await system?.stop();
    rmSync(manifestDirectory, { recursive: true, force: true });
  });

  const refused = (response: { status: number; body: any }) => {
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
  };
  const answered = (response: { status: number; body: any }) => {
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  };

  it("a variable's default counts: no variables is refused like {n: 100}", async () => {
    refused(await post(system.gatewayUrl, { query: DEFAULTED }));
    refused(await post(system.gatewayUrl, { query: DEFAULTED, variables: { n: 100 } }));
    answered(await post(system.gatewayUrl, { query: DEFAULTED, variables: { n: 1 } }));
  });

  it("`first: null` counts as the office's default page of 20", async () => {
    refused(await post(system.gatewayUrl, { query: deep('null') }));
    refused(await post(system.gatewayUrl, { query: GIVEN, variables: { n: null } }));
    refused(await post(system.gatewayUrl, { query: GIVEN }));
  });

  it('a hash-only APQ request is measured with its own variables, not those it was registered with', async () => {
    answered(await post(system.gatewayUrl, { query: GIVEN, variables: { n: 1 }, ...byHash(GIVEN) }));
    answered(await post(system.gatewayUrl, { variables: { n: 1 }, ...byHash(GIVEN) }));
    refused(await post(system.gatewayUrl, { variables: { n: 100 }, ...byHash(GIVEN) }));
    refused(await post(system.gatewayUrl, { ...byHash(GIVEN) }));
  });

  it('a trusted document sent by hash is measured with its defaults and the variables sent', async () => {
    refused(await post(system.gatewayUrl, byHash(DEFAULTED)));
    answered(await post(system.gatewayUrl, { variables: { n: 1 }, ...byHash(DEFAULTED) }));
  });

  it('each operation of a batch is measured, hash-only ones too', async () => {
    answered(await post(system.gatewayUrl, { query: GIVEN, variables: { n: 1 }, ...byHash(GIVEN) }));
    const cheap = { query: '{ partner(id: "canada") { id } }' };
    const { status, body } = await post(system.gatewayUrl, [
      cheap,
      { variables: { n: 100 }, ...byHash(GIVEN) },
      { query: DEFAULTED },
    ]);
    expect(status).toBe(400);
    expect(body[0]).toEqual({ data: { partner: { id: 'canada' } } });
    expect(body[1].errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
    expect(body[2].errors[0].extensions.code).toBe('COST_LIMIT_EXCEEDED');
  });
});
