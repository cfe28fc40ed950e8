export { changeChannel, insertAndAnnounceSql } from './channel.js';
export { DEFAULT_SUBSCRIPTION_SETTINGS, subscriptionsSection, type SubscriptionSettings } from './config.js';
export {
  createChangeFeed,
  type ChangeEvent,
  type ChangeFeed,
  type ChangeFeedOptions,
  type ChangeKind,
  type ChangeSelection,
} from './feed.js';
export { changeSubscription, changesOf, type ChangeSubscriptionOptions } from './resolvers.js';
export { serveChangeSockets, type ChangeSocket, type ChangeSocketOptions } from './socket.js';
