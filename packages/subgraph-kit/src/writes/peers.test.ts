import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  GATEWAY_SIGNATURE_HEADER,
  createSignatureVerifier,
  deriveOfficeKey,
  memoryReplayStore,
  officeKeysFromMaster,
} from '@cip/core';
import { parseSubgraphConfig } from '../config.js';
import { httpPeers } from './peers.js';

/** A peer on port 0 that counts its connections and requests; `handle` answers (or not) each request. */
async function startPeer(handle: (request: IncomingMessage, response: ServerResponse, socket: Socket) => void) {
  const sockets = new Set<Socket>();
  const seen = { connections: 0, requests: 0 };
  const server: Server = createServer((request, response) => {
    seen.requests += 1;
    handle(request, response, request.socket);
  });
  server.on('connection', (socket) => {
    seen.connections += 1;
    sockets.add(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, seen, close };
}

/** Answers an `_entities` lookup of partners: each id known. */
function answerEntities(request: IncomingMessage, response: ServerResponse) {
  let text = '';
  request.on('data', (chunk: Buffer) => (text += chunk.toString()));
  request.on('end', () => {
    const { variables } = JSON.parse(text) as { variables: { representations: { id: string }[] } };
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ data: { _entities: variables.representations.map(({ id }) => ({ id })) } }));
  });
}

describe('peer subgraphs', () => {
  it('reads SUBGRAPH_PEER_URLS as name=url pairs', () => {
    const config = parseSubgraphConfig('agreements', 4002, {
      SUBGRAPH_PEER_URLS: 'partners=http://partners.internal:4001/graphql, sectors=https://sectors.invalid/graphql',
    });
    expect(config.peers).toEqual({
      partners: 'http://partners.internal:4001/graphql',
      sectors: 'https://sectors.invalid/graphql',
    });
    expect(parseSubgraphConfig('agreements', 4002, {}).peers).toEqual({});
  });

  it('refuses a malformed SUBGRAPH_PEER_URLS at start-up', () => {
    expect(() => parseSubgraphConfig('agreements', 4002, { SUBGRAPH_PEER_URLS: 'partners' })).toThrow(
      /SUBGRAPH_PEER_URLS/,
    );
  });

  it('answers SUBGRAPH_UNREACHABLE when the peer is not configured', async () => {
    const peers = httpPeers({ urls: {}, keys: null, self: 'agreements' });
    await expect(peers.lookup('partners', 'Partner', ['canada'], 'id')).rejects.toMatchObject({
      extensions: { code: 'SUBGRAPH_UNREACHABLE', subgraph: 'partners' },
    });
    expect(await peers.lookup('partners', 'Partner', [], 'id')).toEqual([]);
  });

  describe('over a real connection', () => {
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
      close = undefined;
    });

    it('sends a lookup again once when the peer closed the kept-alive connection as it went out', async () => {
      // Each connection serves one request and stays open (keep-alive); a second request on it finds
      // it closed by the peer: what undici reports as "fetch failed" (other side closed).
      const served = new WeakSet<Socket>();
      const peer = await startPeer((request, response, socket) => {
        if (served.has(socket)) {
          socket.destroy();
          return;
        }
        served.add(socket);
        answerEntities(request, response);
      });
      close = peer.close;
      const peers = httpPeers({ urls: { partners: peer.url }, keys: null, self: 'agreements' });
      expect(await peers.lookup('partners', 'Partner', ['canada'], 'id')).toEqual([{ id: 'canada' }]);
      // Lets the client put the connection back in its pool, so that the next lookup goes out on it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await peers.lookup('partners', 'Partner', ['mexico', 'japan'], 'id')).toEqual([
        { id: 'mexico' },
        { id: 'japan' },
      ]);
      // The second lookup went out on the first connection, was cut, and was answered on a new one.
      expect(peer.seen).toEqual({ connections: 2, requests: 3 });
    });

    it('signs each lookup with its peer key for that office, which the office verifies as this office, no scopes', async () => {
      const master = 'm'.repeat(40);
      const verify = createSignatureVerifier({
        office: 'partners',
        keys: [deriveOfficeKey(master, 'partners')],
        replays: memoryReplayStore(),
      });
      const checks: unknown[] = [];
      const peer = await startPeer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const body = Buffer.concat(chunks);
          void verify({
            method: request.method!,
            path: request.url!,
            signature: request.headers[GATEWAY_SIGNATURE_HEADER] as string,
            claims: request.headers['x-gateway-claims'] as string,
            body,
          }).then((check) => {
            checks.push(check);
            response.setHeader('content-type', 'application/json');
            response.end(JSON.stringify({ data: { _entities: [{ id: 'canada' }] } }));
          });
        });
      });
      close = peer.close;
      const peers = httpPeers({
        urls: { partners: peer.url },
        keys: officeKeysFromMaster(master, 'agreements'),
        self: 'agreements',
      });
      await peers.lookup('partners', 'Partner', ['canada'], 'id');
      expect(checks).toEqual([
        { ok: true, issuer: 'agreements', claims: { authenticated: true, subject: 'subgraph:agreements', scopes: [] } },
      ]);
    });

    it('does not send a lookup again after an HTTP error or a timeout', async () => {
      const failing = await startPeer((_request, response) => {
        response.statusCode = 503;
        response.end('busy');
      });
      close = failing.close;
      const peers = httpPeers({ urls: { partners: failing.url }, keys: null, self: 'agreements' });
      await expect(peers.lookup('partners', 'Partner', ['canada'], 'id')).rejects.toMatchObject({
        extensions: { code: 'SUBGRAPH_UNREACHABLE' },
        message: expect.stringContaining('HTTP 503') as unknown,
      });
      expect(failing.seen.requests).toBe(1);
      await failing.close();

      // Never answers: the lookup's deadline passes once, and it is not tried again.
      const silent = await startPeer(() => undefined);
      close = silent.close;
      const impatient = httpPeers({
        urls: { partners: silent.url },
        keys: null,
        self: 'agreements',
        timeoutMs: 200,
      });
      await expect(impatient.lookup('partners', 'Partner', ['canada'], 'id')).rejects.toMatchObject({
        extensions: { code: 'SUBGRAPH_UNREACHABLE' },
      });
      expect(silent.seen.requests).toBe(1);
    });
  });
});
