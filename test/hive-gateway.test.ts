import { readFileSync } from 'node:fs';
import {
  ANONYMOUS_CLAIMS,
  createSignatureVerifier,
  decodeClaims,
  deriveOfficeKey,
  encodeClaims,
  memoryReplayStore,
  processSigningSecret,
  signRequest,
  signingKey,
} from '@cip/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenRejected, createTokenVerifier, parseGatewayConfig } from '@cip/gateway';
import { hiveGatewaySkipReason, startHiveGateway, type RunningHiveGateway } from '@cip/testing/hive-gateway';
import { replay, startCapturingProxy, type CapturingProxy } from '@cip/testing/capturing-proxy';
import { describeUnless } from '@cip/testing/suites';
import { clientOperations } from '@cip/testing/example-operations';
import { liveSseClient, liveWebSocketClient } from '@cip/testing/live-clients';
import * as hiveSigning from '../deploy/hive-gateway/subgraphSigning.mjs';
import * as hiveLifetime from '../deploy/hive-gateway/tokenLifetime.mjs';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * The graph beyond this gateway: the committed supergraph runs unchanged on Hive Gateway (npm
 * `@graphql-hive/gateway`, bench/contenders/hive) over the real subgraphs, configured by
 * deploy/hive-gateway/gateway.config.mjs with the same JWT settings, Hive's own enforcement of
 * @authenticated / @requiresScopes, and our subgraph signing. Every answer is compared with our
 * gateway's; where the engines differ, the difference is asserted exactly as docs/hive-gateway.md
 * describes it, so an upgrade of either side that changes it fails here.
 */

type Response = { status: number; body: any };

/** Each `it` of test/domain-questions.test.ts and the operations it sends, read from its source. */
function domainQuestions(): [string, string][] {
  const source = readFileSync(new URL('./domain-questions.test.ts', import.meta.url), 'utf8');
  const questions: [string, string][] = [];
  for (const block of source.split(/\n {2}it\(/).slice(1)) {
    const title = /^(['"])(.*?)\1,/.exec(block)?.[2];
    for (const [, , query] of block.matchAll(/system\.query\(\s*(`|')([\s\S]*?)\1/g))
      questions.push([title ?? '(untitled)', query!]);
  }
  // A question asked some other way would be silently left out: refuse instead.
  const asked = source.split('system.query(').length - 1;
  if (questions.length !== asked)
    throw new Error(`read ${questions.length} of the ${asked} operations of test/domain-questions.test.ts`);
  return questions;
}

const RESTRICTED = `{
  partner(id: "canada") {
    name
    agreements { nodes { id ... on Agreement { notes: internalNotes negotiationStatus } } }
  }
  threatFocusArea(id: "cyber-security") { name assessment { text } }
}`;
/** Canada and Mexico: each has a (fictional) point of contact. */
const CONTACTS_IN_A_LIST =
  '{ partners(filter: { sharesLandBorderWithUnitedStates: true }) { nodes { id pointsOfContact { name email } } } }';
const EVERY_SCOPE = ['partners:restricted', 'agreements:restricted', 'threats:restricted'];

const OUR_DENIAL = 'Unauthorized field or type: the caller lacks the scope it needs.';
const HIVE_DENIAL = 'Unauthorized field or type';

/** A denial as our gateway reports it. */
const ours = (...path: string[]) => ({ message: OUR_DENIAL, path, extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } });

/**
 * The documented mapping of a partial answer, where the engines agree on the data: our HTTP 200 is
 * Hive's 401; the same code; our message is Hive's shorter one; Hive adds `locations`; and Hive's
 * path has an `@` before the response key of a field whose type is a nullable list (`[T]`), which
 * taken out gives our path.
 */
function expectSameAnswer(our: Response, hive: Response) {
  if (!our.body.errors) {
    expect(hive).toEqual(our);
    return;
  }
  expect(our.status).toBe(200);
  expect(hive.status).toBe(401);
  expect(hive.body.data).toEqual(our.body.data);
  for (const error of our.body.errors) expect(error).toMatchObject({ message: OUR_DENIAL });
  for (const error of hive.body.errors)
    expect(error).toMatchObject({ message: HIVE_DENIAL, locations: expect.any(Array) });
  const denials = (errors: any[], strip: boolean) =>
    errors
      .map((error) => ({
        path: strip ? error.path.filter((key: string) => key !== '@') : error.path,
        code: error.extensions.code,
      }))
      .sort((a, b) => a.path.join('.').localeCompare(b.path.join('.')));
  expect(denials(hive.body.errors, true)).toEqual(denials(our.body.errors, false));
}

describe('our subgraph signing, as Hive Gateway loads it (deploy/hive-gateway/subgraphSigning.mjs)', () => {
  const secret = 'a-signing-secret-of-at-least-32-characters';
  const scopesOf = hiveSigning.scopesIn('scope');

  const officeCheck = (office: string, master = secret) =>
    createSignatureVerifier({ office, keys: [deriveOfficeKey(master, office)], replays: memoryReplayStore() });
  const request = { audience: 'partners', method: 'POST', path: '/graphql', claims: 'e30', body: '{"query":"{ a }"}' };
  const received = (signature: string) => ({ ...request, signature, body: Buffer.from(request.body) });

  it('derives the office keys and signs exactly as @cip/core does: what it signs, the office verifies once', async () => {
    expect(hiveSigning.deriveOfficeKey(secret, 'partners')).toBe(deriveOfficeKey(secret, 'partners'));
    const [now, id] = [Date.now(), crypto.randomUUID()];
    expect(hiveSigning.signOfficeRequest(deriveOfficeKey(secret, 'partners'), request, now, id)).toBe(
      signRequest(signingKey(deriveOfficeKey(secret, 'partners')), 'gateway', request, now, id),
    );
    const verify = officeCheck('partners');
    const signature = hiveSigning.signOfficeRequest(hiveSigning.deriveOfficeKey(secret, 'partners'), request);
    expect(await verify(received(signature))).toMatchObject({ ok: true });
    expect(await verify(received(signature))).toEqual({ ok: false, code: 'SIGNATURE_REPLAYED' });
    expect(await officeCheck('agreements')(received(signature))).toEqual({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(await officeCheck('partners', `${secret}!`)(received(signature))).toEqual({
      ok: false,
      code: 'SIGNATURE_INVALID',
    });
  });

  it('sends the claims header byte for byte as our gateway does', () => {
    expect(hiveSigning.encodeClaims({ sub: 'someone', scope: 'b a b' }, scopesOf)).toBe(
      encodeClaims({ authenticated: true, subject: 'someone', scopes: ['a', 'b'] }),
    );
    expect(hiveSigning.encodeClaims({ scp: ['x'] }, hiveSigning.scopesIn('scp'))).toBe(
      encodeClaims({ authenticated: true, subject: null, scopes: ['x'] }),
    );
    expect(hiveSigning.encodeClaims(undefined, scopesOf)).toBe(encodeClaims(ANONYMOUS_CLAIMS));
    expect(decodeClaims(hiveSigning.encodeClaims(undefined, scopesOf))).toEqual(ANONYMOUS_CLAIMS);
  });

  it('propagates only the configured client headers, never over the signature or the claims', async () => {
    const plugin = hiveSigning.useGatewaySignature({
      secret,
      scopesOf,
      propagateHeaders: ['X-Office', 'x-gateway-claims'],
    });
    let sent: Record<string, string> = {};
    const executionRequest = { document: 'a subgraph operation' };
    plugin.onSubgraphExecute({ subgraphName: 'partners', executionRequest, setExecutionRequest: () => undefined });
    plugin.onFetch({
      context: {
        request: new Request('http://gateway.invalid/graphql', {
          headers: { 'x-office': 'partners', 'x-other': 'no', 'x-gateway-claims': 'forged' },
        }),
        jwt: { payload: { sub: 'someone', scope: 'a' } },
      },
      executionRequest,
      url: 'http://partners.invalid/graphql',
      options: { method: 'POST', headers: { 'content-type': 'application/json' }, body: request.body },
      setOptions: (options) => (sent = options.headers as Record<string, string>),
    });
    const claims = encodeClaims({ authenticated: true, subject: 'someone', scopes: ['a'] });
    expect(sent).toMatchObject({
      'content-type': 'application/json',
      'x-office': 'partners',
      'x-gateway-claims': claims,
    });
    expect(sent).not.toHaveProperty('x-other');
    const check = await officeCheck('partners')({ ...received(sent['x-gateway-signature']!), claims });
    expect(check).toMatchObject({ ok: true, claims: decodeClaims(claims) });
  });

  it("signs a subscription's WebSocket upgrade for its office: GET, the URL's path, no body, the caller's claims", async () => {
    const plugin = hiveSigning.useGatewaySignature({ secret, scopesOf });
    let signed: any;
    const executionRequest = {
      operationType: 'subscription',
      rootValue: { executionRequest: 'kept' },
      context: { jwt: { payload: { sub: 'someone', scope: 'b a' } } },
    };
    plugin.onSubgraphExecute({
      subgraphName: 'partners',
      executionRequest,
      transportEntry: { location: 'http://partners.invalid/graphql' },
      setExecutionRequest: (request) => (signed = request),
    });
    // Hive's WebSocket transport fills the upgrade's headers in from there, and only those two.
    expect(hiveSigning.OFFICE_UPGRADE_HEADERS).toEqual([
      ['x-gateway-signature', '{root.cipOfficeUpgrade.signature}'],
      ['x-gateway-claims', '{root.cipOfficeUpgrade.claims}'],
    ]);
    expect(signed.rootValue.executionRequest).toBe('kept');
    const { signature, claims } = signed.rootValue.cipOfficeUpgrade;
    expect(claims).toBe(encodeClaims({ authenticated: true, subject: 'someone', scopes: ['a', 'b'] }));
    const upgrade = { audience: 'partners', method: 'GET', path: '/graphql', claims, body: Buffer.alloc(0), signature };
    const verify = officeCheck('partners');
    expect(await verify(upgrade)).toMatchObject({ ok: true, claims: decodeClaims(claims) });
    // Once only, as every signed request: a second upgrade with the same headers is refused.
    expect(await verify(upgrade)).toEqual({ ok: false, code: 'SIGNATURE_REPLAYED' });

    let changed = false;
    plugin.onSubgraphExecute({
      subgraphName: 'partners',
      executionRequest: { operationType: 'query' },
      transportEntry: { location: 'http://partners.invalid/graphql' },
      setExecutionRequest: () => (changed = true),
    });
    expect(changed).toBe(false);
  });

  it('signs nothing but subgraph operations', () => {
    const plugin = hiveSigning.useGatewaySignature({ secret, scopesOf });
    let changed = false;
    plugin.onFetch({
      url: 'http://cdn.invalid/supergraph',
      options: { headers: {} },
      setOptions: () => (changed = true),
    });
    // An execution request whose subgraph it was not told: no office to sign for.
    plugin.onFetch({
      executionRequest: {},
      url: 'http://partners.invalid/graphql',
      options: { headers: {}, body: '{}' },
      setOptions: () => (changed = true),
    });
    expect(changed).toBe(false);
  });
});

describe('our token-lifetime rules, as Hive Gateway loads them (deploy/hive-gateway/tokenLifetime.mjs)', () => {
  const NOW = 1_900_000_000;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW * 1000);
  });
  afterEach(() => vi.useRealTimers());

  /** Our gateway's settings for `env`, as it reads them at start-up. */
  const oursFrom = (env: Record<string, string>) => {
    const { auth } = parseGatewayConfig({ NODE_ENV: 'test', ...TEST_AUTH, ...env }).security;
    return {
      clockSkewSeconds: auth.clockSkewSeconds,
      requireExp: auth.requireExp,
      maxLifetimeSeconds: auth.maxTokenLifetimeSeconds,
    };
  };

  it('reads the same variables with the same defaults, and refuses the values our gateway refuses', () => {
    for (const env of [
      {},
      { AUTH_REQUIRE_EXP: 'false', AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600', AUTH_CLOCK_SKEW_SECONDS: '0' },
      { AUTH_REQUIRE_EXP: '0', AUTH_CLOCK_SKEW_SECONDS: '300' },
      { AUTH_REQUIRE_EXP: '1', AUTH_MAX_TOKEN_LIFETIME_SECONDS: '' },
    ])
      expect(hiveLifetime.tokenLifetimeSettings(env)).toEqual(oursFrom(env));
    expect(hiveLifetime.tokenLifetimeSettings({})).toEqual({
      clockSkewSeconds: 30,
      requireExp: true,
      maxLifetimeSeconds: 86_400,
    });
    for (const env of [
      { AUTH_REQUIRE_EXP: 'no' },
      { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '0' },
      { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '1.5' },
      { AUTH_CLOCK_SKEW_SECONDS: '301' },
      { AUTH_CLOCK_SKEW_SECONDS: '-1' },
    ]) {
      expect(() => oursFrom(env)).toThrow();
      expect(() => hiveLifetime.tokenLifetimeSettings(env)).toThrow(Object.keys(env)[0]);
    }
  });

  // Claims at NOW: `iat`/`exp` as offsets from it (null: absent); every `exp` is ahead, so expiry itself (Hive's own check) is not in play.
  const cases: [string, Record<string, string>, Record<string, unknown>, 'accepted' | 'refused'][] = [
    ['a fine token', {}, { iat: NOW - 10, exp: NOW + 300 }, 'accepted'],
    ['no exp', {}, { iat: NOW - 10 }, 'refused'],
    ['no exp and no iat', {}, {}, 'refused'],
    ['no exp, AUTH_REQUIRE_EXP=false', { AUTH_REQUIRE_EXP: 'false' }, { iat: NOW - 10 }, 'accepted'],
    ['no exp and no iat, AUTH_REQUIRE_EXP=0', { AUTH_REQUIRE_EXP: '0' }, {}, 'accepted'],
    ['exp exactly the maximum after iat', {}, { iat: NOW - 10, exp: NOW - 10 + 86_400 }, 'accepted'],
    ['exp one second more than the maximum after iat', {}, { iat: NOW - 10, exp: NOW - 10 + 86_401 }, 'refused'],
    ['without iat, exp the maximum after now plus the skew', {}, { exp: NOW + 30 + 86_400 }, 'accepted'],
    ['without iat, exp one second later', {}, { exp: NOW + 30 + 86_401 }, 'refused'],
    ['iat at the edge of the skew', {}, { iat: NOW + 30, exp: NOW + 300 }, 'accepted'],
    ['iat one second beyond the skew', {}, { iat: NOW + 31, exp: NOW + 300 }, 'refused'],
    ['iat ahead, no exp, AUTH_REQUIRE_EXP=false', { AUTH_REQUIRE_EXP: 'false' }, { iat: NOW + 31 }, 'refused'],
    ['iat ahead within a skew of 0', { AUTH_CLOCK_SKEW_SECONDS: '0' }, { iat: NOW + 1, exp: NOW + 300 }, 'refused'],
    ['iat now with a skew of 0', { AUTH_CLOCK_SKEW_SECONDS: '0' }, { iat: NOW, exp: NOW + 300 }, 'accepted'],
    [
      'a lifetime of 3601 s under a maximum of 3600',
      { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' },
      { iat: NOW, exp: NOW + 3_601 },
      'refused',
    ],
    [
      'a lifetime of 3600 s under a maximum of 3600',
      { AUTH_MAX_TOKEN_LIFETIME_SECONDS: '3600' },
      { iat: NOW, exp: NOW + 3_600 },
      'accepted',
    ],
    ['an iat that is not a number', {}, { iat: 'soon', exp: NOW + 300 }, 'refused'],
    ['an exp that is not a number', {}, { iat: NOW, exp: String(NOW + 300) }, 'refused'],
  ];

  it.each(cases)('%s: the same verdict as our gateway (%j, %j: %s)', async (_name, env, claims, verdict) => {
    const settings = oursFrom(env);
    const verify = (await createTokenVerifier({
      ...settings,
      hs256Secret: TEST_AUTH.AUTH_HS256_SECRET,
      scopesClaim: 'scope',
    }))!;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_AUTH.AUTH_HS256_SECRET));
    const ours = await verify(token).then(
      () => 'accepted',
      (error: unknown) => {
        expect(error).toBeInstanceOf(TokenRejected);
        return 'refused';
      },
    );
    const problem = hiveLifetime.lifetimeProblem(claims, hiveLifetime.tokenLifetimeSettings(env));
    expect({ ours, hive: problem === undefined ? 'accepted' : 'refused' }).toEqual({ ours: verdict, hive: verdict });
    // Over a WebSocket the plugin reads the payload from the token itself, before Hive verifies it.
    expect(hiveLifetime.unverifiedPayload(token)).toEqual(claims);
  });

  it('refuses as Hive refuses a bad token, before the operation, and logs why', () => {
    const warnings: string[] = [];
    const plugin = hiveLifetime.useTokenLifetime({
      settings: hiveLifetime.tokenLifetimeSettings({}),
      tokenOf: (context) => (context.connectionParams as { token?: string } | undefined)?.token,
      log: { warn: (message) => warnings.push(message) },
    });
    const results: object[] = [];
    const setResult = (result: object) => results.push(JSON.parse(JSON.stringify(result)));
    plugin.onParams({ context: { jwt: { payload: { iat: NOW - 10, exp: NOW + 300 } } }, setResult });
    plugin.onParams({ context: {}, setResult });
    plugin.onParams({ context: { connectionParams: { token: 'not.a.jwt' } }, setResult });
    expect(results).toEqual([]);
    // Over HTTP and SSE: the status on the result, which Hive reads and drops; the error as Hive's, with no code.
    plugin.onParams({ context: { jwt: { payload: { iat: NOW - 10 } } }, setResult });
    // Over graphql-ws: the token not yet verified, the error sent whole, as Hive's WebSocket server sends its own.
    const unverified = `e30.${Buffer.from(JSON.stringify({ iat: NOW + 60, exp: NOW + 300 })).toString('base64url')}.c2ln`;
    plugin.onParams({ context: { connectionParams: { token: unverified } }, setResult });
    expect(results).toEqual([
      { errors: [{ message: 'Unauthenticated' }], extensions: { http: { status: 401 } } },
      { errors: [{ message: 'Unauthenticated', extensions: { http: { status: 401 } } }] },
    ]);
    expect(warnings).toEqual([
      'Failed to verify authentication token: missing required "exp" claim',
      'Failed to verify authentication token: "iat" claim is in the future',
    ]);
  });
});

describeUnless(
  hiveGatewaySkipReason(),
  'Hive Gateway on schema/supergraph.graphql and the real subgraphs, beside our gateway',
  () => {
    let system: RunningSystem;
    let hive: RunningHiveGateway;
    /** Between Hive and the partners office: what Hive sends it, as it went over the wire. */
    let wiretap: CapturingProxy;
    beforeAll(async () => {
      system = await startSystem({ ...TEST_AUTH });
      wiretap = await startCapturingProxy();
      wiretap.target = system.subgraphUrls.partners!;
      // The embedded offices check keys derived from this process's own master (processSigningSecret): Hive gets it.
      hive = await startHiveGateway(
        { ...system.subgraphUrls, partners: wiretap.url },
        { ...TEST_AUTH, GATEWAY_SIGNING_SECRET: processSigningSecret() },
      );
    }, 120_000);
    afterAll(async () => {
      await hive?.stop();
      await system?.stop();
      await wiretap?.stop();
    });

    it('signs each request for its office under our scheme: accepted once, by that office only', async () => {
      wiretap.captured.length = 0;
      const { status, body } = await post(hive.url, { query: '{ partner(id: "canada") { name } }' });
      expect({ status, body }).toEqual({ status: 200, body: { data: { partner: { name: 'Canada' } } } });
      const [captured] = wiretap.captured.filter((request) => request.body.includes('canada'));
      expect(captured).toBeDefined();
      const refused = (code: string) => ({ status: 401, body: { errors: [{ extensions: { code } }] } });
      expect(await replay(system.subgraphUrls.partners!, captured!)).toMatchObject(refused('SIGNATURE_REPLAYED'));
      expect(await replay(system.subgraphUrls.agreements!, captured!)).toMatchObject(refused('SIGNATURE_INVALID'));
    });

    async function both(query: string, token?: string, variables?: Record<string, unknown>) {
      const body = { query, ...(variables ? { variables } : {}) };
      const [our, theirs] = await Promise.all([post(system.gatewayUrl, body, token), post(hive.url, body, token)]);
      return { ours: our, hive: theirs };
    }

    describe('give the same answers to the questions users ask', () => {
      it.each(domainQuestions())('%s', async (_title, query) => {
        const anonymous = await both(query);
        expect(anonymous.ours.status).toBe(200);
        expect(anonymous.ours.body.errors).toBeUndefined();
        expect(anonymous.hive).toEqual(anonymous.ours);
        const signedIn = await both(query, await makeToken({ scopes: ['analyst'] }));
        expect(signedIn.hive).toEqual(signedIn.ours);
        expect(signedIn.hive).toEqual(anonymous.ours);
      });

      it.each(clientOperations('query').map(({ name, query }) => [name, query]))(
        'the example client query %s',
        async (_file, query) => {
          const { ours: our, hive: theirs } = await both(query);
          expect(our.status).toBe(200);
          expect(our.body.errors).toBeUndefined();
          expect(theirs).toEqual(our);
        },
      );
    });

    describe('enforce @authenticated and @requiresScopes alike', () => {
      it.each<[string, string, string[] | undefined, ReturnType<typeof ours>[]]>([
        [
          'no token: scoped fields in a list and one with two scope sets',
          RESTRICTED,
          undefined,
          [
            ours('partner', 'agreements', 'nodes', 'notes'),
            ours('partner', 'agreements', 'nodes', 'negotiationStatus'),
            ours('threatFocusArea', 'assessment'),
          ],
        ],
        [
          'a token with a scope nothing asks for',
          RESTRICTED,
          ['unrelated'],
          [
            ours('partner', 'agreements', 'nodes', 'notes'),
            ours('partner', 'agreements', 'nodes', 'negotiationStatus'),
            ours('threatFocusArea', 'assessment'),
          ],
        ],
        ['agreements:restricted only', RESTRICTED, ['agreements:restricted'], [ours('threatFocusArea', 'assessment')]],
        [
          'analyst: the second scope set of the assessment',
          RESTRICTED,
          ['analyst'],
          [
            ours('partner', 'agreements', 'nodes', 'notes'),
            ours('partner', 'agreements', 'nodes', 'negotiationStatus'),
          ],
        ],
        ['every office scope', RESTRICTED, EVERY_SCOPE, []],
        [
          'no token: @authenticated contacts inside a list (Hive: `@` in the path)',
          CONTACTS_IN_A_LIST,
          undefined,
          [ours('partners', 'nodes', 'pointsOfContact')],
        ],
        [
          'signed in with partners:restricted: contacts and their emails',
          CONTACTS_IN_A_LIST,
          ['partners:restricted'],
          [],
        ],
      ])('%s', async (_name, query, scopes, denials) => {
        const answers = await both(query, scopes && (await makeToken({ scopes })));
        expect(answers.ours.body.errors).toEqual(denials.length ? expect.arrayContaining(denials) : undefined);
        expect(answers.ours.body.errors?.length).toBe(denials.length || undefined);
        expectSameAnswer(answers.ours, answers.hive);
      });

      it('the restricted data itself comes back through Hive: the subgraphs accepted its signature', async () => {
        const { hive: theirs } = await both(RESTRICTED, await makeToken({ scopes: EVERY_SCOPE }));
        expect(theirs.status).toBe(200);
        expect(theirs.body.data.partner.agreements.nodes[1].notes).toMatch(/^\[Fictional placeholder\] Internal note/);
        expect(theirs.body.data.threatFocusArea.assessment.text).toMatch(/^\[Fictional placeholder\] Assessment/);
        const contacts = await post(hive.url, { query: CONTACTS_IN_A_LIST }, await makeToken({ scopes: EVERY_SCOPE }));
        expect(contacts.body.data.partners.nodes).toEqual([
          {
            id: 'canada',
            pointsOfContact: [{ name: 'Placeholder Contact A', email: 'contact-a@placeholder.invalid' }],
          },
          {
            id: 'mexico',
            pointsOfContact: [
              { name: 'Placeholder Contact B', email: expect.stringMatching(/@placeholder\.invalid$/) },
            ],
          },
        ]);
      });

      it('difference: an @authenticated nullable list right under an object gets Hive`s null under an "@" key', async () => {
        const answers = await both('{ partner(id: "canada") { name pointsOfContact { name } } }');
        expect(answers.ours).toEqual({
          status: 200,
          body: {
            data: { partner: { name: 'Canada', pointsOfContact: null } },
            errors: [ours('partner', 'pointsOfContact')],
          },
        });
        expect(answers.hive).toEqual({
          status: 401,
          body: {
            data: { partner: { name: 'Canada', '@': { pointsOfContact: null } } },
            errors: [
              {
                message: HIVE_DENIAL,
                locations: [{ line: 1, column: 32 }],
                path: ['partner', '@', 'pointsOfContact'],
                extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
              },
            ],
          },
        });
      });

      it('difference: a fragment spread inside a denied field gets Hive`s denial, and a null, at the root', async () => {
        const answers =
          await both(`{ partner(id: "canada") { name contacts: pointsOfContact { name ...ContactEmail } } }
        fragment ContactEmail on PointOfContact { email }`);
        expect(answers.ours.body).toEqual({
          data: { partner: { name: 'Canada', contacts: null } },
          errors: [ours('partner', 'contacts')],
        });
        expect(answers.hive.status).toBe(401);
        expect(answers.hive.body.data).toEqual({ partner: { name: 'Canada', '@': { contacts: null } }, email: null });
        expect(answers.hive.body.errors.map((error: any) => error.path)).toEqual([
          ['partner', '@', 'contacts'],
          ['email'],
        ]);
      });

      it('difference: a denied non-null field nulls its nearest nullable parent on ours, only itself on Hive', async () => {
        const signedIn = await makeToken({ scopes: [] });
        // `PointOfContact.email: String!` in `pointsOfContact: [PointOfContact!]`.
        const email = await both(CONTACTS_IN_A_LIST, signedIn);
        expect(email.ours.body).toEqual({
          data: {
            partners: {
              nodes: [
                { id: 'canada', pointsOfContact: null },
                { id: 'mexico', pointsOfContact: null },
              ],
            },
          },
          errors: [ours('partners', 'nodes', 'pointsOfContact', 'email')],
        });
        expect(email.hive.status).toBe(401);
        // A null where the schema promises a string: a client's generated types would not expect it.
        expect(email.hive.body.data).toEqual({
          partners: {
            nodes: [
              { id: 'canada', pointsOfContact: [{ name: 'Placeholder Contact A', email: null }] },
              { id: 'mexico', pointsOfContact: [{ name: 'Placeholder Contact B', email: null }] },
            ],
          },
        });
        expect(email.hive.body.errors).toMatchObject([
          { path: ['partners', 'nodes', '@', 'pointsOfContact', 'email'] },
        ]);
        // `Query.agreementAuditLog: AgreementAuditEntryConnection!` beside a public field.
        const audit = await both('{ partner(id: "canada") { name } agreementAuditLog { totalCount } }', signedIn);
        expect(audit.ours.body).toEqual({ data: null, errors: [ours('agreementAuditLog')] });
        expect(audit.hive.status).toBe(401);
        expect(audit.hive.body.data).toEqual({ partner: { name: 'Canada' }, agreementAuditLog: null });
        expect(audit.hive.body.errors).toMatchObject([
          { message: HIVE_DENIAL, path: ['agreementAuditLog'], extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' } },
        ]);
      });

      it('a mutation without its write scope runs on neither', async () => {
        const archive = 'mutation { archivePartner(id: "canada", expectedVersion: 1) { id archived } }';
        const answers = await both(archive, await makeToken({ scopes: ['partners:restricted'] }));
        expect(answers.ours.body).toEqual({ data: null, errors: [ours('archivePartner')] });
        expect(answers.hive.status).toBe(401);
        expect(answers.hive.body).toMatchObject({
          data: { archivePartner: null },
          errors: [{ path: ['archivePartner'] }],
        });
        const after = await both('{ partner(id: "canada") { version archived } }');
        expect(after.ours.body).toEqual({ data: { partner: { version: 1, archived: false } } });
        expect(after.hive).toEqual(after.ours);
      });
    });

    describe('verify tokens alike', () => {
      const UNAUTHENTICATED = {
        errors: [
          {
            message: 'The bearer token is invalid or expired; sign in again.',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      };

      it.each([
        ['a bad signature', () => makeToken({ secret: 'another-secret-that-is-long-enough-for-hs256' })],
        ['an expired token', () => makeToken({ expiresIn: -120 })],
        ['the wrong audience', () => makeToken({ audience: 'someone-else' })],
        ['the wrong issuer', () => makeToken({ issuer: 'https://elsewhere.invalid' })],
      ])(
        '%s: HTTP 401 from both, UNAUTHENTICATED from ours, a bare "Unauthenticated" from Hive',
        async (_name, token) => {
          const answers = await both('{ partner(id: "canada") { name } }', await token());
          expect(answers.ours).toEqual({ status: 401, body: UNAUTHENTICATED });
          expect(answers.hive).toEqual({ status: 401, body: { errors: [{ message: 'Unauthenticated' }] } });
        },
      );

      it('a token that is not a JWT: HTTP 401 from ours, 400 from Hive', async () => {
        const answers = await both('{ partner(id: "canada") { name } }', 'not.a.jwt');
        expect(answers.ours).toEqual({ status: 401, body: UNAUTHENTICATED });
        expect(answers.hive).toEqual({
          status: 400,
          body: { errors: [{ message: 'Invalid authentication token provided' }] },
        });
      });

      it('a token within the clock skew of its expiry is accepted by both', async () => {
        const answers = await both('{ partner(id: "canada") { name } }', await makeToken({ expiresIn: -10 }));
        expect(answers.ours).toEqual({ status: 200, body: { data: { partner: { name: 'Canada' } } } });
        expect(answers.hive).toEqual(answers.ours);
      });

      // The lifetime rules (AUTH_REQUIRE_EXP, AUTH_MAX_TOKEN_LIFETIME_SECONDS 86400, AUTH_CLOCK_SKEW_SECONDS 30 by default).
      const TOO_LONG = '"exp" claim is more than 86400 s after "iat" (or now)';
      it.each([
        ['a token without exp', () => makeToken({ expiresIn: null }), 'missing required "exp" claim'],
        [
          'a token living longer than the maximum',
          () => makeToken({ issuedAt: -10, expiresIn: 86_400 - 10 + 1 }),
          TOO_LONG,
        ],
        [
          'a token without iat living longer than the maximum',
          () => makeToken({ issuedAt: null, expiresIn: 86_400 + 90 }),
          TOO_LONG,
        ],
        [
          'a token with its iat ahead of the clock beyond the skew',
          () => makeToken({ issuedAt: 120, expiresIn: 600 }),
          '"iat" claim is in the future',
        ],
      ])('%s: HTTP 401 from both, as a token with a bad signature; Hive logs why', async (_name, token, reason) => {
        const answers = await both('{ partner(id: "canada") { name } }', await token());
        expect(answers.ours).toEqual({ status: 401, body: UNAUTHENTICATED });
        expect(answers.hive).toEqual({ status: 401, body: { errors: [{ message: 'Unauthenticated' }] } });
        await vi.waitFor(() => expect(hive.output()).toContain(`Failed to verify authentication token: ${reason}`));
      });

      it('a token at the edges of the lifetime rules is accepted by both', async () => {
        for (const token of [
          await makeToken({ issuedAt: -10, expiresIn: 86_400 - 10 }),
          await makeToken({ issuedAt: 20, expiresIn: 300 }),
          await makeToken({ issuedAt: null, expiresIn: 86_400 }),
          await makeToken({ scopes: EVERY_SCOPE }),
        ]) {
          const answers = await both('{ partner(id: "canada") { name } }', token);
          expect(answers.ours).toEqual({ status: 200, body: { data: { partner: { name: 'Canada' } } } });
          expect(answers.hive).toEqual(answers.ours);
        }
      });

      it('over graphql-ws and SSE, Hive refuses a token without exp, living too long or with its iat ahead, as one with a bad signature', async () => {
        const WATCH = 'subscription { partnerChanged(ids: ["mexico"]) { kind id } }';
        const badSignature = await makeToken({ secret: 'another-secret-that-is-long-enough-for-hs256' });
        const refusals = async (token: string) => {
          const clients = [liveWebSocketClient(hive.url, { token }), liveSseClient(hive.url, { token })];
          const recordings = clients.map((client) => client.subscribe({ query: WATCH }));
          await Promise.all(
            recordings.map((recording) => recording.until((seen) => seen.completed, 30_000, 'the subscription to end')),
          );
          for (const client of clients) await client.dispose();
          return recordings.map(({ payloads, error }) => ({
            payloads,
            error: error instanceof Error ? `${error.name}: ${error.message}` : error,
          }));
        };
        const expected = await refusals(badSignature);
        // graphql-ws: one payload with Hive's error, sent whole, then the end; SSE: the request answered 401.
        expect(expected).toEqual([
          { payloads: [{ errors: [{ message: 'Unauthenticated', extensions: { http: { status: 401 } } }] }] },
          { payloads: [], error: 'NetworkError: Server responded with 401: Unauthorized' },
        ]);
        for (const token of [
          await makeToken({ expiresIn: null }),
          await makeToken({ issuedAt: -10, expiresIn: 86_400 }),
          await makeToken({ issuedAt: 120, expiresIn: 600 }),
        ])
          expect(await refusals(token)).toEqual(expected);
      });

      it('over graphql-ws and SSE, Hive still answers a token within the rules', async () => {
        const token = await makeToken({ issuedAt: 20, expiresIn: 86_400 - 20 });
        const clients = [liveWebSocketClient(hive.url, { token }), liveSseClient(hive.url, { token })];
        for (const client of clients) {
          const recording = client.subscribe({ query: '{ partner(id: "canada") { name } }' });
          await recording.until((seen) => seen.completed, 30_000, 'the answer');
          expect({ payloads: recording.payloads, error: recording.error }).toEqual({
            payloads: [{ data: { partner: { name: 'Canada' } } }],
            error: undefined,
          });
          await client.dispose();
        }
      });
    });

    describe('with RS256 keys from a JWKS file (AUTH_JWKS_FILE)', () => {
      let rs256Hive: RunningHiveGateway;
      let directory: string;
      let signRs256: (scopes: string[]) => Promise<string>;
      beforeAll(async () => {
        const { publicKey, privateKey } = await generateKeyPair('RS256');
        directory = await mkdtemp(join(tmpdir(), 'cip-hive-jwks-'));
        const jwksFile = join(directory, 'jwks.json');
        await writeFile(
          jwksFile,
          JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' }] }),
        );
        signRs256 = (scopes) =>
          new SignJWT({ scope: scopes.join(' ') })
            .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
            .setSubject('rs256-user')
            .setIssuer(TEST_AUTH.AUTH_ISSUER)
            .setAudience(TEST_AUTH.AUTH_AUDIENCE)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey);
        rs256Hive = await startHiveGateway(system.subgraphUrls, {
          AUTH_JWKS_FILE: jwksFile,
          AUTH_ISSUER: TEST_AUTH.AUTH_ISSUER,
          AUTH_AUDIENCE: TEST_AUTH.AUTH_AUDIENCE,
          GATEWAY_SIGNING_SECRET: processSigningSecret(),
        });
      }, 90_000);
      afterAll(async () => {
        await rs256Hive?.stop();
        if (directory) await rm(directory, { recursive: true, force: true });
      });

      it('an RS256 token gets what ours gives an HS256 token with the same scopes', async () => {
        for (const scopes of [EVERY_SCOPE, ['analyst']]) {
          const viaHive = await post(rs256Hive.url, { query: RESTRICTED }, await signRs256(scopes));
          const viaOurs = await post(system.gatewayUrl, { query: RESTRICTED }, await makeToken({ scopes }));
          expectSameAnswer(viaOurs, viaHive);
        }
      });

      it('an HS256 token is refused: the key source fixes the algorithms', async () => {
        const refused = await post(rs256Hive.url, { query: '{ partner(id: "canada") { name } }' }, await makeToken());
        expect(refused).toEqual({ status: 401, body: { errors: [{ message: 'Unauthenticated' }] } });
      });
    });

    describe('tell the subgraphs who is calling', () => {
      it('a write through Hive is audited under the token`s subject, as one through ours', async () => {
        const UPDATE = `mutation ($version: Int!, $region: String!) {
        updatePartner(id: "bulgaria", expectedVersion: $version, input: { region: $region }) { id region version } }`;
        const viaHive = await post(
          hive.url,
          { query: UPDATE, variables: { version: 1, region: 'Europe (via Hive)' } },
          await makeToken({ scopes: ['partners:write'], subject: 'editor-on-hive' }),
        );
        expect(viaHive).toEqual({
          status: 200,
          body: { data: { updatePartner: { id: 'bulgaria', region: 'Europe (via Hive)', version: 2 } } },
        });
        const viaOurs = await post(
          system.gatewayUrl,
          { query: UPDATE, variables: { version: 2, region: 'Europe' } },
          await makeToken({ scopes: ['partners:write'], subject: 'editor-on-ours' }),
        );
        expect(viaOurs.body.data.updatePartner.version).toBe(3);
        const audit = await both(
          '{ partnerAuditLog(partnerId: "bulgaria") { totalCount nodes { actor action partnerId } } }',
          await makeToken({ scopes: ['partners:audit'] }),
        );
        expect(audit.ours.body).toEqual({
          data: {
            partnerAuditLog: {
              totalCount: 2,
              nodes: [
                { actor: 'editor-on-hive', action: 'update', partnerId: 'bulgaria' },
                { actor: 'editor-on-ours', action: 'update', partnerId: 'bulgaria' },
              ],
            },
          },
        });
        expect(audit.hive).toEqual(audit.ours);
      });
    });
  },
);
