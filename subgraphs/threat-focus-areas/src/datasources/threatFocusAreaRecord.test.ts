import { subgraphRecordProblems } from '@cip/subgraph-kit';
import { describeEachStore } from '@cip/testing/subgraphs';
import { expect, it } from 'vitest';
import { threatFocusAreasSubgraph } from '../server.js';
import { threatFocusAreaRecord } from './threatFocusAreaRecord.js';

describeEachStore('the threat focus area record spec on $kind', (store) => {
  it('agrees with the SDL’s create and update inputs and with the migrated store', async () => {
    const problems = await subgraphRecordProblems(threatFocusAreasSubgraph, store, [
      {
        spec: threatFocusAreaRecord,
        createInput: 'CreateThreatFocusAreaInput',
        updateInput: 'UpdateThreatFocusAreaInput',
      },
    ]);
    expect(problems).toEqual([]);
  });
});
