import { ANONYMOUS_CLAIMS, type VerifiedClaims } from '@cip/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  askOffice,
  callersWith,
  callerWithout,
  guardedFields,
  officeSchemas,
  routesTo,
  scopesNamed,
  valuesAt,
} from '@cip/testing/office-field-rules';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken, post } from '@cip/testing/tokens';

/**
 * The matrix of callers x fields: public, authenticated-only and each office's restricted fields,
 * reached directly, through fragments, aliases and entities of other offices.
 */
const PROFILE = `{
  partner(id: "canada") {
    name
    contacts: pointsOfContact { name ...ContactEmail }
    agreements { nodes { id ... on Agreement { notes: internalNotes negotiationStatus } } }
  }
  threatFocusArea(id: "cyber-security") { name assessment { text } }
}
fragment ContactEmail on PointOfContact { email }`;

const CONTACT = { name: 'Placeholder Contact A', email: 'contact-a@placeholder.invalid' };
const NOTE = '[Fictional placeholder] Internal note for access-control demonstration; not a real note.';
const ASSESSMENT = {
  text: '[Fictional placeholder] Assessment text for access-control demonstration; not a real assessment.',
};

function profile(access: { contacts: unknown; agreements: boolean; assessment: boolean }) {
  return {
    partner: {
      name: 'Canada',
      contacts: access.contacts,
      agreements: {
        nodes: [
          {
            id: 'security-and-prosperity-partnership',
            notes: null,
            negotiationStatus: access.agreements ? 'CONCLUDED' : null,
          },
          {
            id: 'smart-border-declaration',
            notes: access.agreements ? NOTE : null,
            negotiationStatus: access.agreements ? 'CONCLUDED' : null,
          },
        ],
      },
    },
    threatFocusArea: { name: 'Cyber security', assessment: access.assessment ? ASSESSMENT : null },
  };
}

const unauthorized = (...path: (string | number)[]) => ({
  message: 'Unauthorized field or type: the caller lacks the scope it needs.',
  path,
  extensions: { code: 'UNAUTHORIZED_FIELD_OR_TYPE' },
});

const TEN_YEARS = 10 * 365 * 86_400;

const signedIn = (...scopes: string[]): VerifiedClaims => ({ authenticated: true, subject: 'direct-caller', scopes });

// Every field each office's own SDL guards, found from the SDL: a field guarded tomorrow is in the
// direct-to-office matrix below without a line of test.
const GUARDED = guardedFields(await officeSchemas());
const ALL_SCOPES = scopesNamed(GUARDED.map((guarded) => guarded.rule));
/** A seeded record of each entity type that holds a value in every restricted field of its type. */
const SEEDS = { Partner: 'canada', Agreement: 'smart-border-declaration', ThreatFocusArea: 'cyber-security' };
/** The restricted fields whose seeded values are known not to be null. */
const SEEDED_VALUES = new Set([
  'partners Partner.pointsOfContact',
  'partners PointOfContact.email',
  'agreements Agreement.internalNotes',
  'agreements Agreement.negotiationStatus',
  'threat-focus-areas ThreatFocusArea.assessment',
]);
const nameOf = (guarded: (typeof GUARDED)[number]) => `${guarded.office} ${guarded.type}.${guarded.field}`;
const withoutIndices = (path: readonly (string | number)[] | undefined) =>
  (path ?? []).filter((key) => typeof key === 'string');

describe('who may see what (HS256 tokens, issuer and audience checked)', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem({ ...TEST_AUTH });
  });
  afterAll(() => system.stop());

  it.each([
    ['a bad signature', () => makeToken({ secret: 'another-secret-that-is-long-enough-for-hs256' })],
    ['an expired token', () => makeToken({ expiresIn: -120 })],
    ['the wrong audience', () => makeToken({ audience: 'someone-else' })],
    ['the wrong issuer', () => makeToken({ issuer: 'https://elsewhere.invalid' })],
    ['garbage', async () => 'not.a.jwt'],
    // Regression (issue 13, item 4): the first three were accepted; nbf was already checked, kept beside them.
    ['a token without exp', () => makeToken({ expiresIn: null })],
    ['an iat ten years ahead', () => makeToken({ issuedAt: TEN_YEARS })],
    ['a lifetime over AUTH_MAX_TOKEN_LIFETIME_SECONDS (one day)', () => makeToken({ expiresIn: 86_400 })],
    ['an nbf beyond the clock skew', () => makeToken({ notBefore: 60 })],
  ])('%s gets HTTP 401 UNAUTHENTICATED, without details', async (_name, token) => {
    const { status, body } = await post(system.gatewayUrl, { query: PROFILE }, await token());
    expect(status).toBe(401);
    expect(body).toEqual({
      errors: [
        { message: 'The bearer token is invalid or expired; sign in again.', extensions: { code: 'UNAUTHENTICATED' } },
      ],
    });
  });

  it('a token within the clock skew of its expiry is still accepted', async () => {
    const { status } = await post(
      system.gatewayUrl,
      { query: '{ partner(id: "canada") { name } }' },
      await makeToken({ expiresIn: -10 }),
    );
    expect(status).toBe(200);
  });

  const cases: [string, string[] | undefined, Parameters<typeof profile>[0], ReturnType<typeof unauthorized>[]][] = [
    [
      'no token',
      undefined,
      { contacts: null, agreements: false, assessment: false },
      [
        unauthorized('partner', 'contacts'),
        unauthorized('partner', 'agreements', 'nodes', 'notes'),
        unauthorized('partner', 'agreements', 'nodes', 'negotiationStatus'),
        unauthorized('threatFocusArea', 'assessment'),
      ],
    ],
    [
      'a token without scopes (authenticated: contact names, but email nulls the non-null list item)',
      [],
      { contacts: null, agreements: false, assessment: false },
      [
        unauthorized('partner', 'contacts', 'email'),
        unauthorized('partner', 'agreements', 'nodes', 'notes'),
        unauthorized('partner', 'agreements', 'nodes', 'negotiationStatus'),
        unauthorized('threatFocusArea', 'assessment'),
      ],
    ],
    [
      'partners:restricted',
      ['partners:restricted'],
      { contacts: [CONTACT], agreements: false, assessment: false },
      [
        unauthorized('partner', 'agreements', 'nodes', 'notes'),
        unauthorized('partner', 'agreements', 'nodes', 'negotiationStatus'),
        unauthorized('threatFocusArea', 'assessment'),
      ],
    ],
    [
      'agreements:restricted',
      ['agreements:restricted'],
      { contacts: null, agreements: true, assessment: false },
      [unauthorized('partner', 'contacts', 'email'), unauthorized('threatFocusArea', 'assessment')],
    ],
    [
      'threats:restricted',
      ['threats:restricted'],
      { contacts: null, agreements: false, assessment: true },
      [
        unauthorized('partner', 'contacts', 'email'),
        unauthorized('partner', 'agreements', 'nodes', 'notes'),
        unauthorized('partner', 'agreements', 'nodes', 'negotiationStatus'),
      ],
    ],
    [
      'analyst (one of the two scope sets that may read assessments)',
      ['analyst'],
      { contacts: null, agreements: false, assessment: true },
      [
        unauthorized('partner', 'contacts', 'email'),
        unauthorized('partner', 'agreements', 'nodes', 'notes'),
        unauthorized('partner', 'agreements', 'nodes', 'negotiationStatus'),
      ],
    ],
    [
      'every office scope',
      ['partners:restricted', 'agreements:restricted', 'threats:restricted'],
      { contacts: [CONTACT], agreements: true, assessment: true },
      [],
    ],
  ];

  it.each(cases)('%s: exact data, nulls and error paths', async (_name, scopes, access, errors) => {
    const token = scopes ? await makeToken({ scopes }) : undefined;
    const { status, body } = await post(system.gatewayUrl, { query: PROFILE }, token);
    expect(status).toBe(200);
    expect(body.data).toEqual(profile(access));
    expect(body.errors ?? []).toEqual(errors);
    // Field order is the query's, as GraphQL requires, even where a field was removed.
    expect(Object.keys(body.data.partner)).toEqual(['name', 'contacts', 'agreements']);
  });

  it('a signed-in caller sees contact names when not asking for the restricted email', async () => {
    const { body } = await post(
      system.gatewayUrl,
      { query: '{ partner(id: "canada") { pointsOfContact { name role } } }' },
      await makeToken(),
    );
    expect(body).toEqual({
      data: {
        partner: { pointsOfContact: [{ name: 'Placeholder Contact A', role: 'Placeholder liaison (fictional)' }] },
      },
    });
  });

  it('restricted fields reached through another office (nested entities, aliases, inline fragments) stay hidden', async () => {
    const query = `{
      agreement(id: "smart-border-declaration") {
        parties { id ... on Partner { people: pointsOfContact { email } } }
        threatFocusAreas { a1: assessment { text } }
      }
      sectors(first: 1) { nodes { threatFocusAreas { id assessment { text } } } }
    }`;
    const { body } = await post(system.gatewayUrl, { query }, await makeToken({ scopes: ['agreements:restricted'] }));
    for (const party of body.data.agreement.parties) expect(party.people).toBeNull();
    expect(body.errors.map((error: { path: string[] }) => error.path)).toEqual([
      ['agreement', 'parties', 'people', 'email'],
      ['agreement', 'threatFocusAreas', 'a1'],
      ['sectors', 'nodes', 'threatFocusAreas', 'assessment'],
    ]);
    for (const area of body.data.sectors.nodes[0].threatFocusAreas) expect(area.assessment).toBeNull();
  });

  describe('each office enforces its own rules: the direct-to-office matrix', () => {
    it("finds the guarded fields in every office's SDL, the known ones and the audit logs among them", () => {
      expect(GUARDED.map(nameOf)).toEqual(
        expect.arrayContaining([
          ...SEEDED_VALUES,
          ...['partners Partner', 'agreements Agreement', 'sectors Sector', 'threat-focus-areas ThreatFocusArea'].map(
            (entity) => {
              const [office, type] = entity.split(' ') as [string, string];
              return `${office} Query.${type[0]!.toLowerCase()}${type.slice(1)}AuditLog`;
            },
          ),
          'partners Query.exportPartners',
          'partners Mutation.updatePartner',
        ]),
      );
      // Each is reached by the matrix: a type no seeded record leads to needs an entry in SEEDS.
      expect(GUARDED.filter((guarded) => routesTo(guarded, SEEDS).length === 0).map(nameOf)).toEqual([]);
    });

    it.each(GUARDED.map((guarded) => [nameOf(guarded), guarded] as const))(
      '%s: null with UNAUTHORIZED_FIELD_OR_TYPE at its path for a caller without its scope, answered with it',
      async (name, guarded) => {
        const url = system.subgraphUrls[guarded.office]!;
        for (const route of routesTo(guarded, SEEDS)) {
          const request = { query: route.query, variables: route.variables };
          const denied = await askOffice(guarded.office, url, request, callerWithout(guarded.rule, ALL_SCOPES));
          expect(denied.status, `${name} via ${route.via}`).toBe(200);
          const errors: { path?: (string | number)[]; extensions?: { code?: string } }[] = denied.body.errors ?? [];
          expect(errors.length, `${name} via ${route.via}: ${JSON.stringify(denied.body)}`).toBeGreaterThan(0);
          for (const error of errors) {
            expect(error.extensions?.code, `${name} via ${route.via}`).toBe('UNAUTHORIZED_FIELD_OR_TYPE');
            expect(withoutIndices(error.path), `${name} via ${route.via}`).toEqual(route.path);
          }
          for (const value of valuesAt(denied.body.data, route.path)) expect(value).toBeNull();

          for (const claims of callersWith(guarded.rule, ALL_SCOPES)) {
            const allowed = await askOffice(guarded.office, url, request, claims);
            const context = `${name} via ${route.via} with ${claims.scopes.join(' ')}: ${JSON.stringify(allowed.body)}`;
            expect(allowed.status, context).toBe(200);
            const refused = (allowed.body.errors ?? []).filter(
              (error: { extensions?: { code?: string } }) => error.extensions?.code === 'UNAUTHORIZED_FIELD_OR_TYPE',
            );
            expect(refused, context).toEqual([]);
            // A mutation asked with unusable arguments is refused by its resolver: it ran, nothing was written.
            if (route.mutation) continue;
            expect(allowed.body.errors, context).toBeUndefined();
            const values = valuesAt(allowed.body.data, route.path);
            expect(values.length, context).toBeGreaterThan(0);
            if (SEEDED_VALUES.has(name)) for (const value of values) expect(value, context).not.toBeNull();
          }
        }
      },
    );

    it('answers as the gateway does: null at the path, a non-null field nulling its parent, the rest kept', async () => {
      const partners = system.subgraphUrls.partners!;
      const contacts = { query: '{ partner(id: "canada") { name pointsOfContact { name email } } }' };
      expect((await askOffice('partners', partners, contacts, ANONYMOUS_CLAIMS)).body).toEqual({
        data: { partner: { name: 'Canada', pointsOfContact: null } },
        errors: [unauthorized('partner', 'pointsOfContact')],
      });
      expect((await askOffice('partners', partners, contacts, signedIn('agreements:restricted'))).body).toEqual({
        data: { partner: { name: 'Canada', pointsOfContact: null } },
        errors: [unauthorized('partner', 'pointsOfContact', 0, 'email')],
      });
      expect((await askOffice('partners', partners, contacts, signedIn('partners:restricted'))).body).toEqual({
        data: { partner: { name: 'Canada', pointsOfContact: [CONTACT] } },
      });
      const assessment = { query: '{ threatFocusArea(id: "cyber-security") { name assessment { text } } }' };
      expect(
        (
          await askOffice(
            'threat-focus-areas',
            system.subgraphUrls['threat-focus-areas']!,
            assessment,
            ANONYMOUS_CLAIMS,
          )
        ).body,
      ).toEqual({
        data: { threatFocusArea: { name: 'Cyber security', assessment: null } },
        errors: [unauthorized('threatFocusArea', 'assessment')],
      });
    });

    it('a mutation needs its write scope in the office, and the object it returns obeys the read rules', async () => {
      const partners = system.subgraphUrls.partners!;
      const update = {
        query: `mutation { updatePartner(id: "canada", expectedVersion: 1, input: { name: "Canada" }) {
          name version pointsOfContact { name email } } }`,
      };
      expect((await askOffice('partners', partners, update, signedIn('partners:restricted'))).body).toEqual({
        data: null,
        errors: [unauthorized('updatePartner')],
      });
      expect((await askOffice('partners', partners, update, signedIn('partners:write'))).body).toEqual({
        data: { updatePartner: { name: 'Canada', version: 2, pointsOfContact: null } },
        errors: [unauthorized('updatePartner', 'pointsOfContact', 0, 'email')],
      });
    });
  });

  it('_entities and _service are not part of the public graph', async () => {
    const { status, body } = await post(system.gatewayUrl, {
      query:
        '{ _entities(representations: [{ __typename: "Partner", id: "canada" }]) { ... on Partner { pointsOfContact { email } } } }',
    });
    expect(status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('the same query asked by callers with different rights gets different plans (no plan cache leak)', async () => {
    const query = '{ threatFocusArea(id: "cyber-security") { assessment { text } } }';
    const allowed = await post(system.gatewayUrl, { query }, await makeToken({ scopes: ['analyst'] }));
    const denied = await post(system.gatewayUrl, { query });
    const allowedAgain = await post(system.gatewayUrl, { query }, await makeToken({ scopes: ['threats:restricted'] }));
    expect(allowed.body.data.threatFocusArea.assessment).toEqual(ASSESSMENT);
    expect(denied.body.data.threatFocusArea.assessment).toBeNull();
    expect(allowedAgain.body.data.threatFocusArea.assessment).toEqual(ASSESSMENT);
  });
});

describe('with no authentication configured', () => {
  it('outside production the gateway runs open: every field visible, no token needed', async () => {
    const system = await startSystem();
    try {
      const { body } = await post(system.gatewayUrl, { query: PROFILE });
      expect(body).toEqual({ data: profile({ contacts: [CONTACT], agreements: true, assessment: true }) });
      // The gateway says so in the claims it signs (`unrestricted`), and an office outside production honours it.
      const open = await askOffice(
        'partners',
        system.subgraphUrls.partners!,
        { query: '{ partner(id: "canada") { pointsOfContact { email } } }' },
        { ...ANONYMOUS_CLAIMS, unrestricted: true },
      );
      expect(open.body).toEqual({ data: { partner: { pointsOfContact: [{ email: CONTACT.email }] } } });
    } finally {
      await system.stop();
    }
  });

  it('in production every caller is anonymous: restricted fields hidden, tokens refused', async () => {
    const system = await startSystem({ NODE_ENV: 'production' });
    try {
      const { body } = await post(system.gatewayUrl, { query: PROFILE });
      expect(body.data).toEqual(profile({ contacts: null, agreements: false, assessment: false }));
      expect((await post(system.gatewayUrl, { query: PROFILE }, await makeToken())).status).toBe(401);
      // An office in production never honours the open gateway's claim, even validly signed.
      const open = await askOffice(
        'partners',
        system.subgraphUrls.partners!,
        { query: '{ partner(id: "canada") { pointsOfContact { email } } }' },
        { ...ANONYMOUS_CLAIMS, unrestricted: true },
      );
      expect(open.body).toEqual({
        data: { partner: { pointsOfContact: null } },
        errors: [unauthorized('partner', 'pointsOfContact')],
      });
    } finally {
      await system.stop();
    }
  });
});
