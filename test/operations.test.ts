import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind, OperationTypeNode, print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as operations from './operations/__generated__/operations.js';
import type { PartnerProfileQuery, PartnerProfileQueryVariables } from './operations/__generated__/operations.js';
import { startSystem, type RunningSystem } from '@cip/testing/system';

const documents = Object.entries(operations).filter(([name]) => name.endsWith('Document')) as [
  string,
  TypedDocumentNode,
][];
/** The queries: a subscription's events are tested in test/subscriptions-end-to-end.test.ts. */
const queries = documents.filter(([, document]) =>
  document.definitions.some(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.QUERY,
  ),
);

/** The example client operations (one per question users ask) run, typed, against the real gateway. */
describe('example client operations', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.stop());

  async function run<Data, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Data, Variables>,
    variables?: Variables,
  ) {
    return system.query<Data>(print(document), variables);
  }

  it('there is one for each question of the domain', () => {
    expect(documents.map(([name]) => name).sort()).toEqual([
      'AgreementChangesDocument',
      'AgreementsForThreatFocusAreaDocument',
      'AgreementsSignedSinceDocument',
      'LandBorderPartnersDocument',
      'PartnerProfileDocument',
      'SectorOverviewDocument',
    ]);
  });

  it.each(queries)('%s runs with its default variables and returns data without errors', async (_name, document) => {
    const { status, data, errors } = await run(document);
    expect(status).toBe(200);
    expect(errors).toBeUndefined();
    expect(Object.values(data as object).every((value) => value !== null)).toBe(true);
  });

  it('gives typed data: the UK profile', async () => {
    const variables: PartnerProfileQueryVariables = { id: 'united-kingdom' };
    const { data } = await run(operations.PartnerProfileDocument, variables);
    const profile: PartnerProfileQuery['partner'] = data!.partner;
    expect(profile?.agreements?.nodes.map((agreement) => agreement.title)).toEqual(['Joint Contact Group']);
    expect(profile?.memberOf.map((membership) => membership.organization.shortName)).toEqual(['G8', 'NATO']);
  });
});
