import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '@cip/gateway';
import { configProblems } from '@cip/testing/config';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { post } from '@cip/testing/tokens';

// A valid subscription since the offices publish their changes: refused for its type, not its shape.
const SUBSCRIPTION = 'subscription { partnerChanged { id } }';

const partnerInput = (name: string) => ({
  id: 'nul-byte-land',
  name,
  shortName: 'NBL',
  kind: 'COUNTRY',
  region: 'Nowhere',
  source: { document: 'A test', section: 'errors.test.ts', basis: 'PUBLIC_KNOWLEDGE' },
});

/** Strings no office can store, each in a different kind of argument, and where the refusal must point. */
const UNSTORABLE: {
  query: string;
  variables?: Record<string, unknown>;
  path: string[];
  argument: string;
  office: string;
}[] = [
  { query: '{ partner(id: "canada\\u0000") { name } }', path: ['partner'], argument: 'id', office: 'partners' },
  { query: '{ agreement(id: "\\u0000") { title } }', path: ['agreement'], argument: 'id', office: 'agreements' },
  { query: '{ sector(id: "\\u0000") { name } }', path: ['sector'], argument: 'id', office: 'sectors' },
  {
    query: '{ threatFocusArea(id: "\\u0000") { name } }',
    path: ['threatFocusArea'],
    argument: 'id',
    office: 'threat-focus-areas',
  },
  {
    query: 'query ($agency: String) { sectors(filter: { agency: $agency }) { totalCount } }',
    variables: { agency: 'DHS\u0000' },
    path: ['sectors'],
    argument: 'filter.agency',
    office: 'sectors',
  },
  {
    query: '{ partner(id: "canada") { name agreements(after: "\\u0000") { totalCount } } }',
    path: ['partner', 'agreements'],
    argument: 'after',
    office: 'agreements',
  },
  {
    query: 'query ($id: ID!) { threatFocusArea(id: $id) { name } }',
    variables: { id: 'cyber\ud800' },
    path: ['threatFocusArea'],
    argument: 'id',
    office: 'threat-focus-areas',
  },
  {
    query: 'mutation ($input: CreatePartnerInput!) { createPartner(input: $input) { id } }',
    variables: { input: partnerInput('Nul\u0000') },
    path: ['createPartner'],
    argument: 'input.name',
    office: 'partners',
  },
  {
    query:
      'mutation ($input: CreatePartnerInput!, $key: String) { createPartner(input: $input, idempotencyKey: $key) { id } }',
    variables: { input: partnerInput('Nul Byte Land'), key: 'retry-\u0000' },
    path: ['createPartner'],
    argument: 'idempotencyKey',
    office: 'partners',
  },
];

describe('errors from the offices, as clients see them', () => {
  describe('in development', () => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem({ NODE_ENV: 'development' });
    });
    afterAll(() => system.stop());

    it("carry the subgraph's code, the office's name and the path", async () => {
      const { status, data, errors } = await system.query('{ sector(id: "energy") { cascade(maxHops: 99) { hops } } }');
      expect(status).toBe(200);
      expect(data).toEqual({ sector: null });
      expect(errors).toHaveLength(1);
      expect(errors![0]).toMatchObject({
        path: ['sector', 'cascade'],
        extensions: { code: 'BAD_USER_INPUT', argument: 'maxHops', subgraph: 'sectors' },
      });
    });

    it('a bad id is null, not an error', async () => {
      const { data, errors } = await system.query('{ partner(id: "narnia") { name } agreement(id: "") { title } }');
      expect(errors).toBeUndefined();
      expect(data).toEqual({ partner: null, agreement: null });
    });

    it('an operation that does not match the schema is refused before any office is asked', async () => {
      const { status, errors } = await system.query('{ partner(id: "canada") { nickname } }');
      expect(status).toBe(400);
      expect(errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it.each(UNSTORABLE)(
      'a string no store can hold is BAD_USER_INPUT naming the argument, before any SQL: $argument at $office',
      async ({ query, variables, path, argument, office }) => {
        const statements: string[] = [];
        const stop = system.stores[office]!.onStatement((sql) => statements.push(sql));
        const { status, errors } = await system.query(query, variables).finally(stop);
        expect(status).toBe(200);
        expect(errors).toHaveLength(1);
        expect(errors![0]).toMatchObject({ path, extensions: { code: 'BAD_USER_INPUT', argument, subgraph: office } });
        expect(errors![0]!.message.startsWith(`${argument} holds a `)).toBe(true);
        expect(statements).toEqual([]);
      },
    );

    it('a subscription in a plain request is a 400 with a code naming the transports, sent alone, batched or by APQ', async () => {
      const refused = {
        message:
          'Subscriptions are served over WebSocket (graphql-transport-ws) and SSE (`Accept: text/event-stream`) on /graphql, not in a plain request.',
        extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'subscription' },
      };
      const alone = await system.query(SUBSCRIPTION);
      expect(alone.status).toBe(400);
      expect(alone.errors).toMatchObject([refused]);
      const chosen = await post(system.gatewayUrl, {
        query: `query Q { __typename } ${SUBSCRIPTION.replace('subscription', 'subscription S')}`,
        operationName: 'S',
      });
      expect(chosen.status).toBe(400);
      expect(chosen.body).toMatchObject({ errors: [refused] });
      const batch = await post(system.gatewayUrl, [{ query: '{ __typename }' }, { query: SUBSCRIPTION }]);
      expect(batch.status).toBe(400);
      expect(batch.body).toMatchObject([{ data: { __typename: 'Query' } }, { errors: [refused] }]);
      const sha256Hash = createHash('sha256').update(SUBSCRIPTION).digest('hex');
      const persistedQuery = { version: 1, sha256Hash };
      const registered = await post(system.gatewayUrl, { query: SUBSCRIPTION, extensions: { persistedQuery } });
      expect(registered.status).toBe(400);
      expect(registered.body).toMatchObject({ errors: [refused] });
      // Refused, so not registered: the hash alone is unknown.
      const byHash = await post(system.gatewayUrl, { extensions: { persistedQuery } });
      expect(byHash.body).toMatchObject({ errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    });

    it('by GET, an operation that is not a query is a 405 with a code and the method to use', async () => {
      const response = await fetch(`${system.gatewayUrl}?query=${encodeURIComponent(SUBSCRIPTION)}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    });

    it('a body that is not JSON is refused with a code', async () => {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{ "query": ',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }],
      });
    });
  });

  // `npm start` runs in development: its answers (and so the explorer's answer pane) carry no stack
  // trace unless ERROR_STACK_TRACES=true asks for them, and each error keeps its code, path and office.
  describe.each([
    ['in development, as `npm start` runs it', {}, false],
    ['in development with ERROR_STACK_TRACES=true', { ERROR_STACK_TRACES: 'true' }, true],
  ] as const)('stack traces %s', (_title, env, shown) => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem({ NODE_ENV: 'development', ...env });
      await system.stores['threat-focus-areas']!.exec('ALTER TABLE threat_focus_areas.affected_sector RENAME TO gone');
    });
    afterAll(() => system.stop());

    const hasStack = (body: unknown) => /"stacktrace"|\n\s+at /.test(JSON.stringify(body));

    it(shown ? 'are in the answers' : 'are in no answer, from the gateway or an office', async () => {
      const failing = await system.query(`{
        partner(id: "mexico") { name }
        threatFocusArea(id: "cyber-security") { name affectedSectors { name } }
      }`);
      expect(failing.data).toEqual({ partner: { name: 'Mexico' }, threatFocusArea: null });
      expect(failing.errors).toHaveLength(1);
      expect(failing.errors![0]).toMatchObject({
        path: ['threatFocusArea', 'affectedSectors'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'threat-focus-areas' },
      });
      const refused = await system.query('{ sector(id: "energy") { cascade(maxHops: 99) { hops } } }');
      expect(refused.errors![0]).toMatchObject({
        path: ['sector', 'cascade'],
        extensions: { code: 'BAD_USER_INPUT', subgraph: 'sectors' },
      });
      const invalid = await system.query('{ partner(id: "canada") { nickname } }');
      expect(invalid.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const unserved = await system.query(SUBSCRIPTION);
      expect(unserved.errors![0]!.extensions!.code).toBe('OPERATION_NOT_SUPPORTED');
      for (const answer of [failing, refused, invalid, unserved]) expect(hasStack(answer)).toBe(shown);
    });
  });

  it('refuses ERROR_STACK_TRACES outside development', () => {
    for (const NODE_ENV of ['production', 'test']) {
      expect(configProblems(() => parseGatewayConfig({ NODE_ENV, ERROR_STACK_TRACES: 'true' })).join('\n')).toMatch(
        /ERROR_STACK_TRACES.*has no effect with NODE_ENV=/,
      );
    }
  });

  describe('in production', () => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem({ NODE_ENV: 'production' });
      // Break one office's store the way a bad deploy would, so its resolvers fail with SQL errors.
      await system.stores['threat-focus-areas']!.exec('ALTER TABLE threat_focus_areas.affected_sector RENAME TO gone');
    });
    afterAll(() => system.stop());

    it('show neither stack traces nor SQL, and keep the data of healthy offices', async () => {
      const { data, errors } = await system.query(`{
        partner(id: "mexico") { name }
        threatFocusArea(id: "cyber-security") { name affectedSectors { name } }
      }`);
      expect(data).toEqual({ partner: { name: 'Mexico' }, threatFocusArea: null });
      expect(errors).toEqual([
        {
          message: 'Internal server error in the threat-focus-areas subgraph.',
          path: ['threatFocusArea', 'affectedSectors'],
          extensions: { code: 'INTERNAL_SERVER_ERROR', subgraph: 'threat-focus-areas' },
        },
      ]);
      expect(JSON.stringify(errors)).not.toMatch(/gone|relation|select|stack/i);
    });

    it('refuse an operation type the gateway does not serve with its code and no stack', async () => {
      const { status, errors } = await system.query(SUBSCRIPTION);
      expect(status).toBe(400);
      expect(errors).toEqual([
        {
          message:
            'Subscriptions are served over WebSocket (graphql-transport-ws) and SSE (`Accept: text/event-stream`) on /graphql, not in a plain request.',
          extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'subscription' },
        },
      ]);
    });

    it("refuse a NUL byte with BAD_USER_INPUT, not the store's message", async () => {
      const { data, errors } = await system.query('{ partner(id: "\\u0000") { name } }');
      expect(data).toEqual({ partner: null });
      expect(errors).toEqual([
        {
          message: 'id holds a NUL character (\\u0000), which cannot be stored.',
          path: ['partner'],
          extensions: { code: 'BAD_USER_INPUT', argument: 'id', subgraph: 'partners' },
        },
      ]);
    });

    it('name the office that cannot be reached, and keep the rest of the answer', async () => {
      const sectors = system.subgraphs.find((subgraph) => subgraph.name === 'sectors')!;
      await sectors.stop();
      const { data, errors } = await system.query(`{
        agreement(id: "security-and-prosperity-partnership") { title }
        sector(id: "energy") { name }
      }`);
      expect(data).toEqual({
        agreement: { title: 'Security and Prosperity Partnership of North America' },
        sector: null,
      });
      expect(errors).toHaveLength(1);
      expect(errors![0]!.message).toBe('The sectors subgraph could not be reached.');
      expect(errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNREACHABLE', subgraph: 'sectors' });
    });
  });
});
