import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureExplorerBuilt } from '@cip/testing/explorer-build';
import { startSystem, type RunningSystem } from '@cip/testing/system';
import { TEST_AUTH, makeToken } from '@cip/testing/tokens';

// The gateway shows an operation's query plan only to callers who ask for it and may see it
// (gateway/src/explorer/queryPlans.ts); Apollo's own experimental plan header answers no one.
const PROFILE = `{ partner(id: "canada") { name agreements { nodes { title sectors { name } threatFocusAreas { name } } } } }`;

async function post(system: RunningSystem, headers: Record<string, string>, body: Record<string, unknown> = {}) {
  const response = await fetch(system.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: PROFILE, ...body }),
  });
  return (await response.json()) as { data?: unknown; extensions?: Record<string, any> };
}

describe('query plans in development', () => {
  let system: RunningSystem;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(() => system.stop());

  test('come with the response when asked for by header: subgraphs, stages and entity batches', async () => {
    const body = await post(system, { 'query-plan': 'include' });
    expect(body.data).toBeTruthy();
    const plan = body.extensions!.queryPlan;
    expect(plan.subgraphs.slice(0, 2)).toEqual(['partners', 'agreements']);
    expect([...plan.subgraphs].sort()).toEqual(['agreements', 'partners', 'sectors', 'threat-focus-areas']);
    expect(plan.fetches[0]).toEqual({ stage: 1, subgraph: 'partners', path: '', entities: false, entityTypes: [] });
    expect(plan.fetches[1]).toMatchObject({
      stage: 2,
      subgraph: 'agreements',
      path: 'partner',
      entityTypes: ['Partner'],
    });
    expect(plan.text).toMatch(/^QueryPlan \{/);
    // Canada is a party to two agreements (Smart Border, SPP): their sectors go to one batch.
    expect(plan.calls[0]).toEqual({ subgraph: 'partners' });
    expect(plan.calls[1]).toEqual({ subgraph: 'agreements', representations: 1, entityTypes: ['Partner'] });
    const sectors = plan.calls.find((call: { subgraph: string }) => call.subgraph === 'sectors');
    expect(sectors.representations).toBeGreaterThan(0);
  });

  test('come when asked for by request extension', async () => {
    const body = await post(system, {}, { extensions: { queryPlan: true } });
    expect(body.extensions?.queryPlan?.subgraphs).toHaveLength(4);
  });

  test('are not sent to callers who did not ask, nor through Apollo’s experimental header', async () => {
    expect((await post(system, {})).extensions?.queryPlan).toBeUndefined();
    const apollo = await post(system, { 'apollo-query-plan-experimental': '1' });
    expect(apollo.extensions?.__queryPlanExperimental).toBeUndefined();
    expect(apollo.extensions?.queryPlan).toBeUndefined();
  });
});

describe('query plans in production', () => {
  test('are not sent to anonymous callers, even when they ask', async () => {
    const system = await startSystem({ NODE_ENV: 'production' });
    try {
      const body = await post(system, { 'query-plan': 'include', 'apollo-query-plan-experimental': '1' });
      expect(body.data).toBeTruthy();
      expect(body.extensions?.queryPlan).toBeUndefined();
      expect(body.extensions?.__queryPlanExperimental).toBeUndefined();
    } finally {
      await system.stop();
    }
  });

  test('are sent to analysts only, and the explorer too when EXPLORER=analysts', async () => {
    ensureExplorerBuilt();
    const system = await startSystem({ NODE_ENV: 'production', EXPLORER: 'analysts', ...TEST_AUTH });
    try {
      const analyst = `Bearer ${await makeToken({ scopes: ['analyst'] })}`;
      const other = `Bearer ${await makeToken({ scopes: ['partners:read'] })}`;
      const asAnalyst = await post(system, { 'query-plan': 'include', authorization: analyst });
      expect(asAnalyst.extensions?.queryPlan?.subgraphs).toHaveLength(4);
      const asOther = await post(system, { 'query-plan': 'include', authorization: other });
      expect(asOther.extensions?.queryPlan).toBeUndefined();

      const origin = new URL(system.gatewayUrl).origin;
      expect((await fetch(`${origin}/`, { headers: { authorization: other } })).status).toBe(403);
      const page = await fetch(`${origin}/`, { headers: { authorization: analyst } });
      expect(page.status).toBe(200);
      expect(page.headers.get('cache-control')).toBe('private, no-cache');
    } finally {
      await system.stop();
    }
  });

  test('are sent when QUERY_PLANS=on opens them to everyone', async () => {
    const system = await startSystem({ NODE_ENV: 'production', QUERY_PLANS: 'on' });
    try {
      expect((await post(system, { 'query-plan': 'include' })).extensions?.queryPlan?.subgraphs).toHaveLength(4);
    } finally {
      await system.stop();
    }
  });
});
