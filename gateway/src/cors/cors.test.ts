import { parseConfig, type Env } from '@cip/core';
import { configProblems } from '@cip/testing/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../config.js';
import { buildGateway, type GatewayApp } from '../server.js';
import { corsSection } from './config.js';
import { CORS_ALLOWED_HEADERS } from './cors.js';

const APP = 'http://127.0.0.1:5173';
const OTHER = 'http://127.0.0.1:6006';
const parse = (env: Env) => parseConfig('gateway', { cors: corsSection }, env).cors;

describe('CORS config', () => {
  it('allows no origin by default, and no credentials', () => {
    expect(parse({})).toEqual({ origins: new Set(), allowCredentials: false, maxAgeSeconds: 600 });
  });

  it('takes exact origins only', () => {
    expect(parse({ CORS_ORIGINS: `${APP}, https://app.example.org` }).origins).toEqual(
      new Set([APP, 'https://app.example.org']),
    );
    for (const bad of [
      '*',
      'https://app.example.org/',
      'app.example.org',
      'https://*.example.org',
      'ftp://a.example',
    ]) {
      expect(configProblems(() => parse({ CORS_ORIGINS: bad })).join('\n')).toMatch(/CORS_ORIGINS.*exact origins/);
    }
  });

  it('refuses credentials or a max age without an origin to give them to', () => {
    expect(configProblems(() => parse({ CORS_ALLOW_CREDENTIALS: 'true' })).join('\n')).toMatch(
      /CORS_ALLOW_CREDENTIALS.*has no effect without CORS_ORIGINS/,
    );
  });
});

describe('CORS on /graphql', () => {
  const gateways: GatewayApp[] = [];
  let url: string;
  let withCredentialsUrl: string;
  const start = async (env: Env) => {
    const gateway = await buildGateway(
      parseGatewayConfig({ NODE_ENV: 'test', SUPERGRAPH_WATCH: 'false', ...env }),
      pino({ level: 'silent' }),
    );
    gateways.push(gateway);
    return `${await gateway.listen('127.0.0.1', 0)}/graphql`;
  };
  beforeAll(async () => {
    url = await start({ CORS_ORIGINS: APP });
    withCredentialsUrl = await start({ CORS_ORIGINS: APP, CORS_ALLOW_CREDENTIALS: 'true' });
  });
  afterAll(() => Promise.all(gateways.map((gateway) => gateway.stop())));

  const preflight = (origin: string, method = 'POST', to = url) =>
    fetch(to, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type, authorization, apollographql-client-name',
      },
    });

  it("answers an allowed origin's preflight with the methods and headers a GraphQL client sends", async () => {
    const response = await preflight(APP);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    const headers = response.headers.get('access-control-allow-headers')!.split(', ');
    expect(headers).toEqual([...CORS_ALLOWED_HEADERS]);
    expect(headers).toEqual(
      expect.arrayContaining([
        'content-type',
        'authorization',
        'apollographql-client-name',
        'apollographql-client-version',
        'graphql-client-name',
        'graphql-client-version',
        'apollo-require-preflight',
      ]),
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    expect(response.headers.get('vary')).toMatch(/origin/i);
  });

  it("refuses another origin's preflight with a coded 403 and no CORS headers", async () => {
    const response = await preflight(OTHER);
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'CORS_ORIGIN_NOT_ALLOWED',
    );
    expect((await preflight(APP, 'DELETE')).status).toBe(403);
  });

  it('names the allowed origin on its answers, and varies on Origin for every caller', async () => {
    const ask = (origin?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const allowed = await ask(APP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.headers.get('access-control-expose-headers')).toBe('x-request-id');
    for (const response of [allowed, await ask(OTHER), await ask()]) {
      expect(response.headers.get('vary')?.toLowerCase().split(', ')).toContain('origin');
    }
    const other = await ask(OTHER);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows credentials only when configured', async () => {
    const response = await preflight(APP, 'POST', withCredentialsUrl);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('still refuses a simple cross-site request (CSRF prevention), even from an allowed origin', async () => {
    for (const origin of [APP, OTHER]) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
      expect(body.data).toBeUndefined();
      expect(body.errors[0]!.extensions.code).toBe('BAD_REQUEST');
      const get = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { origin } });
      expect(get.status).toBe(400);
    }
  });
});
