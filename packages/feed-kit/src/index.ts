export {
  PartnerFeed,
  type FeedFreshness,
  type FeedSnapshot,
  type FeedStatus,
  type PartnerFeedOptions,
} from './feed.js';
export { FeedFetchError, defaultFetchPolicy, fetchFeedDocument, parseRetryAfter, type FetchPolicy } from './http.js';
export { feedMetrics, type FeedMetrics } from './metrics.js';
export { readDefaultPage, validateRecords, type FeedPage, type QuarantinedRecord } from './records.js';
