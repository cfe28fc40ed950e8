import { deriveOfficeKey } from '@cip/core';
import {
  collectSubscription,
  gatewaySignedUpgradeHeaders,
  officeSubscriptionClient,
} from '@cip/testing/office-subscriptions';
import { startEntry } from '@cip/testing/processes';
import { signedIn } from '@cip/testing/subgraphs';
import { gatewaySignedHeaders, post } from '@cip/testing/tokens';
import { describe, expect, it } from 'vitest';

const SIGNING_SECRET = 'live-changes-process-test-master-secret-0123456789';
const UPDATE = `mutation ($version: Int!) {
  updatePartner(id: "canada", expectedVersion: $version, input: { region: "North America" }) { version } }`;

describe('the partners office as a deployment runs it', () => {
  it('publishes a signed write to a subscriber, and closes the socket with 1001 on SIGTERM', async () => {
    const office = startEntry('subgraphs/partners/src/index.ts', {
      PORT: '0',
      LOG_LEVEL: 'info',
      PGLITE_DATA_DIR: 'memory://',
      OFFICE_SIGNING_KEYS: deriveOfficeKey(SIGNING_SECRET, 'partners'),
      OFFICE_SUBSCRIPTIONS_PER_CONNECTION: '2',
    });
    try {
      const [, base] = await office.waitFor(/"url":"([^"]+)","msg":"subgraph listening"/);
      const url = base!;
      const reader = signedIn('ana', []);
      const client = officeSubscriptionClient(url, () =>
        gatewaySignedUpgradeHeaders(SIGNING_SECRET, 'partners', url, reader),
      );
      const events = collectSubscription(
        client,
        'subscription { partnerChanged(ids: ["canada"]) { kind version actor } }',
      );
      // The office's own limit from its environment: the third subscription on the socket is refused.
      const second = collectSubscription(client, 'subscription { partnerChanged { id } }');
      const third = collectSubscription(client, 'subscription { partnerChanged { id } }');
      await third.ended();
      expect(third.failure).toEqual([expect.objectContaining({ extensions: { code: 'CHANGE_SUBSCRIPTION_LIMIT' } })]);
      const writer = signedIn('ben', ['partners:write']);
      // Retried until the subscriptions listen: the write before that is not theirs to see.
      let version = 1;
      for (;;) {
        const body = JSON.stringify({ query: UPDATE, variables: { version } });
        const written = await post(
          url,
          body,
          undefined,
          gatewaySignedHeaders(SIGNING_SECRET, 'partners', url, writer, body),
        );
        expect(written.body.errors).toBeUndefined();
        version += 1;
        if (events.results.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const [first] = await events.received(1);
      expect(first?.data?.partnerChanged).toMatchObject({ kind: 'UPDATED', actor: 'ben' });
      const exited = office.stop('SIGTERM');
      await events.ended();
      expect(events.failure).toMatchObject({ code: 1001 });
      second.stop();
      expect(await exited).toBe(0);
      await client.dispose();
    } finally {
      await office.stop();
    }
  });
});
