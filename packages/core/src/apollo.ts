import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';

/**
 * Plugins that keep an Apollo Server off the network: no usage or schema reporting even if an
 * APOLLO_KEY is in the environment, and no landing page, whose default (Apollo Sandbox) loads from
 * a CDN that a closed network cannot reach.
 */
export function offlinePlugins<TContext extends BaseContext>(): ApolloServerPlugin<TContext>[] {
  return [
    ApolloServerPluginUsageReportingDisabled(),
    ApolloServerPluginSchemaReportingDisabled(),
    ApolloServerPluginLandingPageDisabled(),
  ];
}
