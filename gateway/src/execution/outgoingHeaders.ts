import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';

/** The `Headers` interface subgraph request hooks write to (`request.http.headers`). */
type FetcherHeaders = NonNullable<GraphQLDataSourceProcessOptions['request']['http']>['headers'];

/**
 * The headers of one request our executor sends to a subgraph, over a plain record of lower-case
 * names: what the subgraph request hooks set (they take the `Headers` interface), handed to the HTTP
 * client as is. Spares each subgraph call the `Headers` objects and copies of
 * RemoteGraphQLDataSource (one to fill, one `Object.fromEntries` of it, one inside a `Request`).
 */
export class OutgoingHeaders implements FetcherHeaders {
  readonly record: Record<string, string> = {};

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const existing = this.record[key];
    this.record[key] = existing === undefined ? value : `${existing}, ${value}`;
  }

  delete(name: string): void {
    delete this.record[name.toLowerCase()];
  }

  get(name: string): string | null {
    return this.record[name.toLowerCase()] ?? null;
  }

  has(name: string): boolean {
    return this.record[name.toLowerCase()] !== undefined;
  }

  set(name: string, value: string): void {
    this.record[name.toLowerCase()] = value;
  }

  entries(): IterableIterator<[string, string]> {
    return Object.entries(this.record)[Symbol.iterator]();
  }

  keys(): IterableIterator<string> {
    return Object.keys(this.record)[Symbol.iterator]();
  }

  values(): IterableIterator<string> {
    return Object.values(this.record)[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
