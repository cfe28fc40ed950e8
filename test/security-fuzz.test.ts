import { request } from 'node:http';
import type { VerifiedClaims } from '@cip/core';
import { honouredClaims, mayRead } from '@cip/subgraph-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askOffice, guardedFields, officeSchemas, scopesNamed } from '@cip/testing/office-field-rules';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH } from '@cip/testing/tokens';
import { rawExchange } from '@cip/testing/raw-http';

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Sends raw bytes, so that invalid JSON and invalid UTF-8 reach the server as they are. */
function send(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Case = { body: Buffer; headers?: Record<string, string> };

/** Hostile requests of every kind; none is a valid operation, so each must be refused with a code. */
function hostileRequests(count: number): Case[] {
  const next = random(20_061_126);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const junk = (length: number) =>
    Array.from({ length }, () => String.fromCharCode(32 + Math.floor(next() * 95))).join('');
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const generators: (() => Case)[] = [
    // Not JSON at all, or truncated JSON.
    () => ({ body: Buffer.from(`{"query": "{ partner(id: \\"${junk(20)}`) }),
    () => ({ body: Buffer.from(junk(1 + Math.floor(next() * 200))) }),
    // JSON of the wrong shape or types.
    () => ({ body: json(pick([null, 42, 'query', true, {}, { query: 7 }, { query: ['{ a }'] }, { query: null }])) }),
    () => ({ body: json({ query: '{ partner(id: "canada") { name } }', variables: pick(['x', 5, [1], true]) }) }),
    () => ({
      body: json({ query: '{ partner(id: "canada") { name } }', operationName: pick([5, {}, ['a'], 'Nope']) }),
    }),
    () => ({
      body: json({
        query: 'query($id: ID!) { partner(id: $id) { name } }',
        variables: { id: pick([{}, [[[]]], null, true]) },
      }),
    }),
    () => ({ body: json([]) }),
    // Syntax errors, with and without huge strings.
    () => ({ body: json({ query: `{ partner(id: "${'x'.repeat(100_000 + Math.floor(next() * 400_000))}) { name }` }) }),
    () => ({ body: json({ query: `{ ${junk(1 + Math.floor(next() * 500))}` }) }),
    // Deep nesting: of selections, of list values, of JSON.
    () => ({
      body: json({
        query: `{ ${'partner(id: "g8") { memberOf { organization { '.repeat(200)}id${' } } }'.repeat(200)} }`,
      }),
    }),
    () => ({ body: json({ query: `{ partner(id: ${'['.repeat(3_000)}"g8"${']'.repeat(3_000)}) { id } }` }) }),
    () => ({
      body: Buffer.from(
        `{"query":"query($id: ID!) { partner(id: $id) { id } }","variables":{"id":${'['.repeat(2_000)}${']'.repeat(2_000)}}}`,
      ),
    }),
    // Alias bombs and field repetition.
    () => ({ body: json({ query: `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: __typename`).join(' ')} }` }) }),
    () => ({
      body: json({
        query: `{ partners(first: 100) { nodes { ${'members(first: 100) { nodes { '.repeat(4)}id${' } }'.repeat(4)} } } }`,
      }),
    }),
    () => ({ body: json({ query: `{ partner(id: "g8") { ${'id @include(if: true) '.repeat(200)} } }` }) }),
    // Fragment cycles and spreads that explode.
    () => ({ body: json({ query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }) }),
    // Invalid UTF-8 inside an otherwise plausible body.
    () => ({
      body: Buffer.concat([
        Buffer.from('{"query":"{ partner(id: \\"'),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0]),
        Buffer.from('\\") { name '),
        Buffer.from('"}'),
      ]),
    }),
    // Persisted queries that do not exist or do not match.
    () => ({ body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: junk(64) } } }) }),
    () => ({
      body: json({
        query: '{ __typename }',
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      }),
    }),
    () => ({ body: json({ extensions: { persistedQuery: { version: pick([2, 'one', null]), sha256Hash: 'x' } } }) }),
    // Bad tokens.
    () => ({
      body: json({ query: '{ __typename }' }),
      headers: { authorization: pick(['Bearer', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', `Bearer ${junk(300)}`]) },
    }),
    // Batches that are too large.
    () => ({ body: json(Array.from({ length: 11 + Math.floor(next() * 50) }, () => ({ query: '{ __typename }' }))) }),
  ];
  return Array.from({ length: count }, () => pick(generators)());
}

/** Text that only a caller meeting the rule of the field holding it may read (the seeded placeholders). */
const RESTRICTED_TEXTS = [
  { text: 'Placeholder Contact', field: 'partners Partner.pointsOfContact' },
  { text: '@placeholder.invalid', field: 'partners PointOfContact.email' },
  { text: 'Internal note for access-control demonstration', field: 'agreements Agreement.internalNotes' },
  { text: 'CONCLUDED', field: 'agreements Agreement.negotiationStatus' },
  { text: 'Assessment text for access-control demonstration', field: 'threat-focus-areas ThreatFocusArea.assessment' },
];

/**
 * Operations straight to an office, as a tester holding a valid gateway credential would write
 * them: the restricted fields under aliases, in named and inline fragments, in lists, in entity
 * references, and in the audit log, for callers of every kind (anonymous, the open gateway's claim,
 * any mix of the graph's scopes).
 */
function directRequests(count: number, allScopes: readonly string[]) {
  const next = random(20_261_201);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const some = <T>(items: readonly T[]) => items.filter(() => next() < 0.5);
  const offices = {
    partners: {
      pieces: [
        'name',
        'pointsOfContact { name email }',
        'c: pointsOfContact { role e: email }',
        '...P',
        '... on Partner { pointsOfContact { ...E } }',
      ],
      fragments: {
        P: 'fragment P on Partner { pointsOfContact { name ...E } }',
        E: 'fragment E on PointOfContact { email }',
      },
      roots: ['partner(id: "canada")', 'partners(first: 50) { nodes', 'entities:Partner:canada,mexico,united-kingdom'],
      audit: 'partnerAuditLog(first: 5) { nodes { oldValues newValues } }',
    },
    agreements: {
      pieces: [
        'title',
        'internalNotes',
        'n: internalNotes',
        'negotiationStatus',
        '...A',
        '... on Agreement { s: negotiationStatus }',
      ],
      fragments: { A: 'fragment A on Agreement { internalNotes negotiationStatus }' },
      roots: [
        'agreement(id: "smart-border-declaration")',
        'agreements(first: 20) { nodes',
        'entities:Agreement:smart-border-declaration,nato-sc-epc',
      ],
      audit: 'agreementAuditLog(first: 5) { nodes { oldValues newValues } }',
    },
    'threat-focus-areas': {
      pieces: [
        'name',
        'assessment { text }',
        'a: assessment { text source { document } }',
        '...T',
        '... on ThreatFocusArea { assessment { text } }',
      ],
      fragments: { T: 'fragment T on ThreatFocusArea { assessment { text } }' },
      roots: [
        'threatFocusArea(id: "cyber-security")',
        'threatFocusAreas(first: 20) { nodes',
        'entities:ThreatFocusArea:cyber-security,rail-and-metro-security',
      ],
      audit: 'threatFocusAreaAuditLog(first: 5) { nodes { oldValues newValues } }',
    },
  };
  return Array.from({ length: count }, () => {
    const office = pick(Object.keys(offices) as (keyof typeof offices)[]);
    const { pieces, fragments, roots, audit } = offices[office];
    const chosen = some(pieces);
    const selection = (chosen.length ? chosen : [pick(pieces)]).join(' ');
    const root = pick(roots);
    const [, typename, ids] = root.split(':') as [string, string, string];
    const field = root.startsWith('entities:')
      ? `_entities(representations: [${ids
          .split(',')
          .map((id) => `{ __typename: "${typename}", id: "${id}" }`)
          .join(', ')}]) { ... on ${typename} { ${selection} } }`
      : root.endsWith('{ nodes')
        ? `${root} { ${selection} } }`
        : `${root} { ${selection} }`;
    // Each fragment the operation spreads, and those they spread (an unused one is invalid).
    let query = `{ ${field} ${next() < 0.2 ? audit : ''} }`;
    for (const [name, definition] of Object.entries(fragments))
      if (query.includes(`...${name}`)) query += ` ${definition}`;
    const claims: VerifiedClaims = pick<VerifiedClaims>([
      { authenticated: false, subject: null, scopes: [] },
      { authenticated: false, subject: null, scopes: [], unrestricted: true },
      { authenticated: true, subject: 'fuzzer', scopes: some(allScopes) },
      { authenticated: true, subject: 'fuzzer', scopes: some(allScopes), unrestricted: true },
    ]);
    return { office, query, claims };
  });
}

describe('fuzz: hostile requests', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH, NODE_ENV: 'production' });
  });
  afterAll(() => system.stop());

  it('3000 malformed or hostile requests: each a 4xx with a code, the gateway stays up, memory stays bounded', async () => {
    const requests = hostileRequests(3_000);
    const heapBefore = process.memoryUsage().heapUsed;
    const failures: string[] = [];
    for (let start = 0; start < requests.length; start += 25) {
      await Promise.all(
        requests.slice(start, start + 25).map(async ({ body, headers }, offset) => {
          const { status, text } = await send(system.gatewayUrl, body, {
            'content-type': 'application/json',
            ...headers,
          });
          let codes: unknown[] = [];
          try {
            const parsed = JSON.parse(text) as
              { errors?: { extensions?: { code?: unknown } }[] } | { errors?: { extensions?: { code?: unknown } }[] }[];
            codes = (Array.isArray(parsed) ? parsed : [parsed]).map((result) => result.errors?.[0]?.extensions?.code);
          } catch {
            codes = [undefined];
          }
          if (status < 400 || status >= 500 || codes.some((code) => typeof code !== 'string'))
            failures.push(`#${start + offset}: ${status} ${text.slice(0, 200)} <- ${body.subarray(0, 120).toString()}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    const still = await send(
      system.gatewayUrl,
      Buffer.from(JSON.stringify({ query: '{ partner(id: "canada") { name } }' })),
      {
        'content-type': 'application/json',
      },
    );
    expect(JSON.parse(still.text)).toEqual({ data: { partner: { name: 'Canada' } } });
    // Generous: the system itself is in this process; a leak per request would pass it quickly.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(400 * 1024 * 1024);
  }, 180_000);

  it('400 operations straight to the offices, validly signed: no restricted value reaches a caller without its scope', async () => {
    const guarded = guardedFields(await officeSchemas());
    const rules = new Map(guarded.map((field) => [`${field.office} ${field.type}.${field.field}`, field.rule]));
    const leaks: string[] = [];
    const shown = new Set<string>();
    const requests = directRequests(400, scopesNamed(guarded.map((field) => field.rule)));
    for (let start = 0; start < requests.length; start += 10) {
      await Promise.all(
        requests.slice(start, start + 10).map(async ({ office, query, claims }) => {
          const { status, body } = await askOffice(office, system.subgraphUrls[office]!, { query }, claims);
          const text = JSON.stringify(body);
          if (status !== 200) leaks.push(`${status} ${text.slice(0, 200)} <- ${query}`);
          // The offices run in production: the open gateway's claim counts for nothing there.
          const caller = honouredClaims(claims, 'production');
          for (const { text: value, field } of RESTRICTED_TEXTS) {
            if (!text.includes(value)) continue;
            if (mayRead(rules.get(field), caller)) shown.add(field);
            else leaks.push(`${field} to ${JSON.stringify(claims)} <- ${query}`);
          }
        }),
      );
    }
    expect(leaks).toEqual([]);
    // The callers who may see them did: the operations reach every restricted value.
    expect([...shown].sort()).toEqual(RESTRICTED_TEXTS.map(({ field }) => field).sort());
  }, 180_000);

  it("Node's own refusals (headers too large, malformed, chunk extensions too large) carry a JSON body and a code, at the gateway and every office", async () => {
    const requests = {
      REQUEST_HEADERS_TOO_LARGE: [
        431,
        `POST /graphql HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      ],
      BAD_REQUEST: [400, 'GARBAGE\r\n\r\n'],
      PAYLOAD_TOO_LARGE: [
        413,
        `POST /graphql HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n2;${'x'.repeat(20 * 1024)}\r\n{}\r\n0\r\n\r\n`,
      ],
    } as const;
    for (const url of [system.gatewayUrl, ...Object.values(system.subgraphUrls)]) {
      for (const [code, [status, bytes]] of Object.entries(requests)) {
        const response = await rawExchange(url, bytes);
        expect({ url, status: response.status }).toEqual({ url, status });
        expect(response.head).toMatch(/^content-type: application\/json/im);
        expect(JSON.parse(response.body)).toMatchObject({
          errors: [{ message: expect.any(String), extensions: { code } }],
        });
      }
    }
    // A body over the limit is refused by the gateway's own reader, in the same shape.
    const tooLong = await rawExchange(
      system.gatewayUrl,
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n{}',
    );
    expect(tooLong.status).toBe(413);
    expect(JSON.parse(tooLong.body)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    expect(await system.query('{ partner(id: "canada") { name } }')).toMatchObject({
      data: { partner: { name: 'Canada' } },
    });
  });
});
