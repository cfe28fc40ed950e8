import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from '@cip/testing/system';

describe('gateway modes', () => {
  describe('composing from the running subgraphs (development)', () => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect' });
    });
    afterAll(() => system.stop());

    it('serves the same graph as the committed supergraph', async () => {
      const { data, errors } = await system.query(
        '{ threatFocusArea(id: "cyber-security") { affectedSectors { id } agreements { totalCount } } }',
      );
      expect(errors).toBeUndefined();
      expect(data!.threatFocusArea.affectedSectors).toHaveLength(17);
      expect(data!.threatFocusArea.agreements.totalCount).toBe(0);
    });
  });

  describe('HTTP', () => {
    let system: RunningSystem;
    beforeAll(async () => {
      system = await startSystem();
    });
    afterAll(() => system.stop());

    it('answers queries sent with GET', async () => {
      const url = new URL(system.gatewayUrl);
      url.searchParams.set('query', '{ agreement(id: "border-partnership-declaration") { signed { year } } }');
      // A non-simple header, as Apollo's CSRF prevention asks of GET requests.
      const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expect(await response.json()).toEqual({ data: { agreement: { signed: { year: 2002 } } } });
    });

    it('refuses a mutation sent with GET', async () => {
      const url = new URL(system.gatewayUrl);
      url.searchParams.set('query', 'mutation { __typename }');
      const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expect(response.status).toBe(405);
    });

    it('answers liveness and a coded 404', async () => {
      const base = system.gatewayUrl.replace(/\/graphql$/, '');
      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
      const missing = await fetch(`${base}/nowhere`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        errors: [{ message: 'No route for /nowhere.', extensions: { code: 'NOT_FOUND' } }],
      });
    });

    it('refuses a body over the size limit with 413', async () => {
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ __typename }${' '.repeat(2_000_000)}` }),
      });
      expect(response.status).toBe(413);
      expect(
        ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
      ).toBe('PAYLOAD_TOO_LARGE');
    });
  });
});
