import { buildTestSubgraph, testStores, type TestSubgraph } from '@cip/subgraph-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgreementsContext } from '../context.js';
import { agreementsSubgraph } from '../server.js';

const UPDATE = `mutation ($id: ID!, $version: Int!, $input: UpdateAgreementInput!) {
  updateAgreement(id: $id, expectedVersion: $version, input: $input) { title shortTitle purpose version } }`;
const READ = `query ($id: ID!) { agreement(id: $id) { title shortTitle purpose version } }`;
const AUDIT = `query ($id: ID) { agreementAuditLog(agreementId: $id) { totalCount nodes { action oldValues newValues } } }`;

/** The office's own fields; links to other offices' records are in test/cross-office-writes.test.ts. */
describe.each(testStores())('agreement updates on $kind', (store) => {
  let subgraph: TestSubgraph<AgreementsContext>;
  beforeAll(async () => {
    subgraph = await buildTestSubgraph(agreementsSubgraph, store);
  });
  afterAll(() => subgraph.close());

  const read = async (id: string) => (await subgraph.execute(READ, { id })).data?.agreement;
  const codeOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions;

  it('updates the fields given with the version read; null removes the short title', async () => {
    const result = await subgraph.execute(UPDATE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { title: 'Security and Prosperity Partnership', shortTitle: null },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.updateAgreement).toMatchObject({
      title: 'Security and Prosperity Partnership',
      shortTitle: null,
      version: 2,
    });
    const audit = await subgraph.execute(AUDIT, { id: 'security-and-prosperity-partnership' });
    const [entry] = (
      audit.data?.agreementAuditLog as { nodes: { action: string; oldValues: string; newValues: string }[] }
    ).nodes;
    expect(entry?.action).toBe('update');
    expect(JSON.parse(entry!.oldValues)).toMatchObject({ short_title: 'SPP', version: 1 });
    expect(JSON.parse(entry!.newValues)).toMatchObject({ short_title: null, version: 2 });
  });

  it('refuses a stale version with CONFLICT and changes nothing', async () => {
    const before = await read('security-and-prosperity-partnership');
    const result = await subgraph.execute(UPDATE, {
      id: 'security-and-prosperity-partnership',
      version: 1,
      input: { purpose: 'Lost update' },
    });
    expect(codeOf(result)).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
    expect(await read('security-and-prosperity-partnership')).toEqual(before);
  });

  it.each([
    [{ id: 'nato-sc-epc', version: 1, input: {} }, 'input'],
    [{ id: 'nato-sc-epc', version: 1, input: { title: ' ' } }, 'input.title'],
    [{ id: 'nato-sc-epc', version: 1, input: { purpose: null } }, 'input.purpose'],
    [{ id: 'nato-sc-epc', version: 0, input: { title: 'x' } }, 'expectedVersion'],
    [{ id: 'no-such-agreement', version: 1, input: { title: 'x' } }, 'id'],
  ])('refuses invalid input %#, naming the field', async (variables, field) => {
    const before = await read('nato-sc-epc');
    const result = await subgraph.execute(UPDATE, variables);
    expect(codeOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await read('nato-sc-epc')).toEqual(before);
  });

  it('lets exactly one of many concurrent updates with the same version win, audited once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        subgraph.execute(UPDATE, { id: 'uk-joint-contact-group', version: 1, input: { purpose: `Take ${n}` } }),
      ),
    );
    expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
    expect(results.filter((result) => codeOf(result)?.code === 'CONFLICT')).toHaveLength(5);
    const audit = await subgraph.execute(AUDIT, { id: 'uk-joint-contact-group' });
    expect((audit.data?.agreementAuditLog as { totalCount: number }).totalCount).toBe(1);
  });
});
