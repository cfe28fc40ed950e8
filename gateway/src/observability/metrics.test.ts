import { randomBytes } from 'node:crypto';
import type { GraphQLRequestContext, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { createGatewayMetrics, metricsPlugin } from './metrics.js';

const REGISTERED = ['PartnerProfile', 'SectorOverview'];

/**
 * One request through the plugin's hooks, as Apollo calls them: `operationName` is the name of the
 * operation found in the document (null when there is none), `request.operationName` what the
 * client sent. In-process, so 10,000 requests take milliseconds (the system test sends fewer, over HTTP).
 */
async function answer(
  plugin: ReturnType<typeof metricsPlugin>,
  found: string | null,
  sent?: string,
  succeeded = true,
): Promise<void> {
  const request = sent === undefined ? {} : { operationName: sent };
  const listener = await plugin.requestDidStart!({ request } as GraphQLRequestContext<GatewayContext>);
  const singleResult = succeeded ? { data: { ok: true } } : { errors: [{ message: 'no such operation' }] };
  await listener!.willSendResponse!({
    request,
    operationName: found,
    response: { body: { kind: 'single', singleResult } },
  } as unknown as GraphQLRequestContextWillSendResponse<GatewayContext>);
}

// Regression (issue 13, item 10): the `operation` label took any name a client sent, up to 200
// distinct ones, which also took the labels before the real operations were counted.
describe('the operation label of the request metrics', () => {
  it('is a registered name or other: 10,000 random names, in documents or in operationName, add only other', async () => {
    const metrics = createGatewayMetrics();
    const plugin = metricsPlugin(metrics, REGISTERED);
    for (let i = 0; i < 10_000; i += 1) {
      const name = `R${i}_${randomBytes(4).toString('hex')}`;
      // Half name their operation in the document; half send a name the document does not have.
      if (i % 2 === 0) await answer(plugin, name, name);
      else await answer(plugin, null, name, false);
    }
    await answer(plugin, 'PartnerProfile');
    await answer(plugin, null);

    const counted = (await metrics.requests.get()).values;
    const timed = (await metrics.requestDuration.get()).values;
    const labels = new Set([...counted, ...timed].map(({ labels }) => labels.operation));
    expect(labels).toEqual(new Set(['PartnerProfile', 'other']));
    const count = (operation: string, outcome: string) =>
      counted.find(({ labels }) => labels.operation === operation && labels.outcome === outcome)?.value;
    expect(count('other', 'success')).toBe(5_001);
    expect(count('other', 'error')).toBe(5_000);
    expect(count('PartnerProfile', 'success')).toBe(1);
  });
});
