import type { SubgraphNames } from './names.js';

/**
 * The new subgraph's SDL: its entity with a lookup and a paged list, and the list of its records on
 * the entity it references. `shared` is copied from the existing subgraphs: a type declared in several
 * subgraphs must be described the same way everywhere, or composition hints. The two fields that
 * cross to another office are nullable, as the nullability contract asks (docs/nullability.md).
 */
export function schemaSdl(
  n: SubgraphNames,
  shared: { pageInfo: string; queryDescription: string },
  feed: boolean,
): string {
  return `extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@shareable"])

${shared.queryDescription}
type Query {
  "One ${n.entity} by id; null when none has that id."
  ${n.entityCamel}("The id to look up." id: ID!): ${n.entity}
  "${n.entity} records, ordered by id, a page at a time."
  ${n.entityPlural}(
    "How many to return: 0 to 100 (default 20)."
    first: Int = 20
    "Return what follows this cursor (a previous page's \`endCursor\`)."
    after: String
  ): ${n.entity}Connection!
}

"A record of the ${n.name} office${feed ? ", as its partner's feed sends it" : ''}."
type ${n.entity} @key(fields: "id") {
  "Stable, readable identifier."
  id: ID!
  "What the record is called."
  title: String!
  "The ${n.referencesCamel} this record is about; null (with an error naming the office) while its office cannot answer."
  ${n.referencesCamel}: ${n.references}${feed ? FRESHNESS_FIELD : ''}
}

# Owned by another office (which describes it); this office adds the records about it.
type ${n.references} @key(fields: "id") {
  id: ID!
  "The ${n.name} records about this ${n.referencesCamel}, ordered by id; null (with an error naming the office) while the ${n.name} office cannot answer."
  ${n.entityPlural}: [${n.entity}!]
}

"A page of ${n.entity} records."
type ${n.entity}Connection {
  "The records of this page, with their cursors."
  edges: [${n.entity}Edge!]!
  "The records of this page, without cursors."
  nodes: [${n.entity}!]!
  "Where this page ends, and whether there is another."
  pageInfo: PageInfo!
  "How many records there are in all, across every page."
  totalCount: Int!
}

"One of a page of ${n.entity} records, with its cursor."
type ${n.entity}Edge {
  "Pass as \`after\` to get the records that follow this one."
  cursor: String!
  "The record."
  node: ${n.entity}!
}

${shared.pageInfo}
${feed ? FRESHNESS_TYPE : ''}`;
}

// A feed-backed record says how current it is (docs/integrating-a-partner-feed.md): while the
// partner is down the office serves its last good copy, and a client must be able to tell.
const FRESHNESS_FIELD = `
  "How current this record is: whether it is the last good copy of the partner's feed, served while the partner cannot be asked, and as of when."
  freshness: FeedFreshness!`;

// Shareable, and worded the same in every feed-backed subgraph, so that several compose.
const FRESHNESS_TYPE = `
"How current a record of a partner's feed is."
type FeedFreshness @shareable {
  "True while the partner's feed cannot be refreshed and the office serves the last good copy it kept."
  stale: Boolean!
  "When the partner last sent or confirmed this copy (ISO 8601, UTC)."
  asOf: String!
  "When refreshing the feed started failing (ISO 8601, UTC); null while the copy is fresh."
  staleSince: String
}
`;
