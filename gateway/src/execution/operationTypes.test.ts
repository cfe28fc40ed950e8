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

  it('refuses a subscription in a plain request with 400 OPERATION_NOT_SUPPORTED, naming the transports', async () => {
    expect(await answer(withMutation, 'subscription { c }')).toEqual({
      status: 400,
      errors: [
        {
          message:
            'Subscriptions are served over WebSocket (graphql-transport-ws) and SSE (`Accept: text/event-stream`) on /graphql, not in a plain request.',
          extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'subscription' },
        },
      ],
    });
  });

  it('lets a subscription through where the transport streams', async () => {
    const server = new ApolloServer<{ streaming: boolean }>({
      schema: buildSchema(withMutation),
      plugins: [servedOperationTypesPlugin({ streams: (context) => context.streaming })],
    });
    await server.start();
    try {
      const response = await server.executeOperation(
        { query: 'subscription { c }' },
        { contextValue: { streaming: true } },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      expect(response.body.singleResult.errors?.[0]?.extensions?.code).not.toBe('OPERATION_NOT_SUPPORTED');
    } finally {
      await server.stop();
    }
  });

  it('refuses an operation whose root type the schema does not have', async () => {
    const refused = await answer('type Query { a: Int }', 'mutation { __typename }');
    expect(refused.status).toBe(400);
    expect(refused.errors).toMatchObject([
      { extensions: { code: 'OPERATION_NOT_SUPPORTED', operationType: 'mutation' } },
    ]);
  });
});
