import { ApolloServer } from '@apollo/server';
import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { servedOperationTypesPlugin } from './operationTypes.js';

async function answer(schemaSdl: string, query: string) {
  const server = new ApolloServer({
    schema: buildSchema(schemaSdl),
    plugins: [servedOperationTypesPlugin()],
    includeStacktraceInErrorResponses: false,
  });
  await server.start();
  try {
    const response = await server.executeOperation({ query });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return { status: response.http.status, ...response.body.singleResult };
  } finally {
    await server.stop();
  }
}

describe('servedOperationTypesPlugin', () => {
  const withMutation = 'type Query { a: Int } type Mutation { b: Int } type Subscription { c: Int }';

  it('lets queries and mutations through', async () => {
    expect(await answer(withMutation, '{ __typename }')).toMatchObject({ data: { __typename: 'Query' } });
    expect(await answer(withMutation, 'mutation { __typename }')).toMatchObject({ data: { __typename: 'Mutation' } });
  });

  it('refuses a subscription with 400 OPERATION_NOT_SUPPORTED, even where the schema has the type', async () => {
    expect(await answer(withMutation, 'subscription { c }')).toEqual({
      status: 400,
      errors: [
        {
          message: 'This gateway does not serve subscription operations; send a query or a mutation.',
          extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'subscription' },
        },
      ],
    });
  });

  it('refuses an operation whose root type the schema does not have', async () => {
    const refused = await answer('type Query { a: Int }', 'mutation { __typename }');
    expect(refused.status).toBe(400);
    expect(refused.errors).toMatchObject([
      { extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'mutation' } },
    ]);
  });
});
