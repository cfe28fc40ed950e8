import { subgraphRecordProblems } from '@cip/subgraph-kit';
import { describeEachStore } from '@cip/testing/subgraphs';
import { expect, it } from 'vitest';
import { agreementsSubgraph } from '../server.js';
import { agreementRecord } from './agreementRecord.js';

describeEachStore('the agreement record spec on $kind', (store) => {
  it('agrees with the SDL’s create and update inputs and with the migrated store', async () => {
    const problems = await subgraphRecordProblems(agreementsSubgraph, store, [
      { spec: agreementRecord, createInput: 'CreateAgreementInput', updateInput: 'UpdateAgreementInput' },
    ]);
    expect(problems).toEqual([]);
  });
});
