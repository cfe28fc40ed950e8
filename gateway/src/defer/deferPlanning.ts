import type { ApolloGateway, GatewayConfig } from '@apollo/gateway';
import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLNonNull,
  GraphQLSchema,
  GraphQLString,
} from 'graphql';

/**
 * The query planner's option for Defer nodes (off by default in @apollo/query-planner). For an
 * operation without `@defer` it changes nothing: the planner only normalizes the operation's
 * defers first (`withNormalizedDefer`, the operation itself when it has none) instead of
 * removing them (`withoutDefer`); test/defer-planning.test.ts plans every example both ways.
 */
export const deferPlannerConfig: NonNullable<GatewayConfig['queryPlannerConfig']> = {
  incrementalDelivery: { enableDefer: true },
};

/** `directive @defer(label: String, if: Boolean! = true) on FRAGMENT_SPREAD | INLINE_FRAGMENT`, as federation declares it. */
export const deferDirective = new GraphQLDirective({
  name: 'defer',
  description: 'Delivers the fragment after the rest of the response (incremental delivery, deferSpec=20220824).',
  locations: [DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT],
  args: {
    label: { type: GraphQLString, description: 'Names the deferred part in the incremental payloads.' },
    if: { type: new GraphQLNonNull(GraphQLBoolean), defaultValue: true, description: 'Defers only when true.' },
  },
});

/** The API schema with `@defer` declared (graphql 16 has no such directive), so that operations using it validate. */
export function withDeferDirective(schema: GraphQLSchema): GraphQLSchema {
  if (schema.getDirective('defer')) return schema;
  const config = schema.toConfig();
  return new GraphQLSchema({ ...config, directives: [...config.directives, deferDirective] });
}

/**
 * @apollo/gateway builds the API schema it hands Apollo Server without `@defer` even when its planner
 * plans Defer nodes (`toGraphQLJSSchema()` without `includeDefer`). Its public `onSchemaLoadOrUpdate`,
 * which Apollo Server subscribes with on start, is wrapped here to pass each schema on with the
 * directive; and its public `schema`, from which it answers introspection, gets the same schema.
 * Before `ApolloServer#start`.
 */
export function declareDeferDirective(gateway: ApolloGateway): void {
  const declared = new WeakMap<GraphQLSchema, GraphQLSchema>();
  const withDefer = (schema: GraphQLSchema): GraphQLSchema => {
    let extended = declared.get(schema);
    if (!extended) declared.set(schema, (extended = withDeferDirective(schema)));
    return extended;
  };
  const subscribe = gateway.onSchemaLoadOrUpdate.bind(gateway);
  // First of the listeners: the gateway has just set `schema` to the new one.
  subscribe(({ apiSchema }) => {
    gateway.schema = withDefer(apiSchema);
  });
  gateway.onSchemaLoadOrUpdate = (callback) =>
    subscribe(({ apiSchema, coreSupergraphSdl }) => callback({ apiSchema: withDefer(apiSchema), coreSupergraphSdl }));
}
