import { subgraphRecordProblems } from '@cip/subgraph-kit';
import { describeEachStore } from '@cip/testing/subgraphs';
import { expect, it } from 'vitest';
import { sectorsSubgraph } from '../server.js';
import { sectorDependencyRecord, sectorRecord } from './sectorRecord.js';

describeEachStore('the sector record specs on $kind', (store) => {
  it('agree with the SDL’s create and update inputs and with the migrated store', async () => {
    const problems = await subgraphRecordProblems(sectorsSubgraph, store, [
      { spec: sectorRecord, createInput: 'CreateSectorInput', updateInput: 'UpdateSectorInput' },
      { spec: sectorDependencyRecord, createInput: 'SectorDependencyInput' },
    ]);
    expect(problems).toEqual([]);
  });
});
