import {
  codedError,
  encodeClaims,
  signRequest,
  signedPath,
  signingKey,
  GATEWAY_CLAIMS_HEADER,
  GATEWAY_SIGNATURE_HEADER,
  type OfficeKeys,
} from '@cip/core';

/**
 * Other offices' subgraphs, asked through their public federation entry point (`_entities`), never
 * through their tables: a referential check across offices ("a party must be a known partner").
 */
export interface Peers {
  /**
   * The entities of `typename` with these ids, in order: each the fields of `selection`, or null
   * when the office knows no such id. Throws `SUBGRAPH_UNREACHABLE` when the office cannot answer.
   */
  lookup(
    subgraph: string,
    typename: string,
    ids: readonly string[],
    selection: string,
  ): Promise<(Record<string, unknown> | null)[]>;
}

export interface HttpPeersOptions {
  /** Subgraph name → its `/graphql` URL; read at each lookup, so it may be filled in after start-up. */
  urls: Readonly<Record<string, string>>;
  /** This office's keys: each lookup is signed with its peer key for the office asked; null sends none. */
  keys: OfficeKeys | null;
  /** Who asks, as the claims' subject: `subgraph:<name>`. */
  self: string;
  timeoutMs?: number;
}

function unreachable(subgraph: string, why: string) {
  return codedError(
    'SUBGRAPH_UNREACHABLE',
    `The ${subgraph} subgraph could not be asked to check this write (${why}); nothing was written. Try again later.`,
    { extensions: { subgraph } },
  );
}

/**
 * What undici's `fetch failed` carries as its cause when the connection broke under the request: the
 * peer closed a kept-alive socket just as the request went out on it (`UND_ERR_SOCKET`, "other side
 * closed"), or reset it. Not a refused connection, an HTTP error or a timeout: those are answers.
 */
const BROKEN_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function isBrokenConnection(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && BROKEN_CONNECTION_CODES.has(code);
}

/** Peers over HTTP, signed like the gateway's requests (the claims name this subgraph, with no scopes). */
export function httpPeers(options: HttpPeersOptions): Peers {
  return {
    async lookup(subgraph, typename, ids, selection) {
      if (ids.length === 0) return [];
      const url = options.urls[subgraph];
      if (!url) throw unreachable(subgraph, 'its URL is not configured');
      if (!/^[A-Z][A-Za-z0-9_]*$/.test(typename)) throw new Error(`Invalid type name ${typename}`);
      const claims = encodeClaims({ authenticated: true, subject: `subgraph:${options.self}`, scopes: [] });
      const body = JSON.stringify({
        query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`,
        variables: { representations: ids.map((id) => ({ __typename: typename, id })) },
      });
      const peerKey = options.keys?.peerKey(subgraph);
      const key = peerKey === undefined ? undefined : signingKey(peerKey);
      const path = signedPath(url);
      // One deadline for both attempts; each attempt signed anew (the office accepts a signature once).
      const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
      const request = (): RequestInit => {
        const headers: Record<string, string> = { 'content-type': 'application/json', [GATEWAY_CLAIMS_HEADER]: claims };
        if (key) {
          headers[GATEWAY_SIGNATURE_HEADER] = signRequest(key, options.self, {
            audience: subgraph,
            method: 'POST',
            path,
            claims,
            body,
          });
        }
        return { method: 'POST', headers, body, signal };
      };
      let answer: { data?: { _entities?: (Record<string, unknown> | null)[] } | null; errors?: unknown[] };
      try {
        let response: Response;
        try {
          response = await fetch(url, request());
        } catch (error) {
          // A lookup is a read: sent again once, on a new connection, when the kept-alive one it
          // went out on was closed by the peer at that moment (seen under load and with PGlite).
          if (!isBrokenConnection(error)) throw error;
          response = await fetch(url, request());
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        answer = (await response.json()) as typeof answer;
      } catch (error) {
        throw unreachable(subgraph, error instanceof Error ? error.message : String(error));
      }
      const entities = answer.data?._entities;
      if (!Array.isArray(entities) || entities.length !== ids.length) throw unreachable(subgraph, 'an unusable answer');
      return entities;
    },
  };
}

/**
 * The peers a resolver may ask, from its context (the subgraph server adds them as `peers`, like
 * `caller`); without them every lookup answers `SUBGRAPH_UNREACHABLE`.
 */
export function peersOf(context: object): Peers {
  return (context as { peers?: Peers }).peers ?? httpPeers({ urls: {}, keys: null, self: 'unknown' });
}
