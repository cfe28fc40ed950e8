import type { FetchNode } from '@apollo/query-planner';
import { OperationTypeNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { planFetchBody } from './requestBody.js';

function fetchNode(operationName: string | undefined): FetchNode {
  return {
    kind: 'Fetch',
    serviceName: 'partners',
    operation:
      'query Q__partners__1($representations:[_Any!]!){_entities(representations:$representations){...on Partner{name "\\u00e9"}}}',
    operationName,
    operationKind: OperationTypeNode.QUERY,
  };
}

describe('planFetchBody', () => {
  it('is byte for byte the body RemoteGraphQLDataSource sends, with and without an operation name', () => {
    const variables = { representations: [{ __typename: 'Partner', id: 'p-1', note: 'line\nbreak "quoted" é' }] };
    for (const name of ['Q__partners__1', undefined]) {
      const fetch = fetchNode(name);
      const request = { query: fetch.operation, variables, ...(name === undefined ? {} : { operationName: name }) };
      expect(planFetchBody(fetch, variables)).toBe(JSON.stringify(request));
      // The second call uses the node's cached frame.
      expect(planFetchBody(fetch, { representations: [] })).toBe(
        JSON.stringify({ ...request, variables: { representations: [] } }),
      );
    }
  });
});
