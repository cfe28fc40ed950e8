import { subgraphRecordProblems } from '@cip/subgraph-kit';
import { describeEachStore } from '@cip/testing/subgraphs';
import { expect, it } from 'vitest';
import { partnersSubgraph } from '../server.js';
import { partnerRecord } from './partnerRecord.js';

describeEachStore('the partner record spec on $kind', (store) => {
  it('agrees with the SDL’s create and update inputs and with the migrated store', async () => {
    const problems = await subgraphRecordProblems(partnersSubgraph, store, [
      { spec: partnerRecord, createInput: 'CreatePartnerInput', updateInput: 'UpdatePartnerInput' },
    ]);
    expect(problems).toEqual([]);
  });
});
