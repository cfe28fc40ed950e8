import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { lastRun, type PlanFetch, type QueryPlanReport } from '../app/lastRun';
import { queryPlanPlugin } from '../app/QueryPlanPlugin';

// The plan panel as the browser gets it, rendered to HTML in Node: what an analyst reads for a
// subscription's and a defer's plan (the outlines gateway/src/explorer/queryPlans.test.ts checks).

const root = (subgraph: string): PlanFetch => ({ stage: 1, subgraph, path: '', entities: false, entityTypes: [] });
const entities = (stage: number, subgraph: string, path: string, type: string): PlanFetch => ({
  stage,
  subgraph,
  path,
  entities: true,
  entityTypes: [type],
});

function panelText(plan: QueryPlanReport): string {
  lastRun.set({ operationName: 'Watched', plan, kind: 'operation', payloads: 1, errors: [] });
  const Panel = queryPlanPlugin.content;
  return renderToStaticMarkup(createElement(Panel))
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

const report = (outline: QueryPlanReport['outline'], fetches: PlanFetch[]): QueryPlanReport => ({
  text: 'QueryPlan { … }',
  subgraphs: [...new Set(fetches.map((fetch) => fetch.subgraph))],
  fetches,
  ...(outline ? { outline } : {}),
  calls: [],
});

describe('the query plan panel', () => {
  test('draws a Subscription node: the office that sends the events, then the steps for each event', () => {
    const text = panelText(
      report(
        {
          kind: 'Subscription',
          primary: root('agreements'),
          rest: {
            kind: 'Steps',
            fetches: [
              entities(1, 'partners', 'agreementChanged.agreement.parties.@', 'Partner'),
              entities(1, 'threat-focus-areas', 'agreementChanged.agreement.threatFocusAreas.@', 'ThreatFocusArea'),
            ],
          },
        },
        [root('agreements')],
      ),
    );
    expect(text).toContain('Subscription Events come from agreements : the gateway subscribes to it');
    expect(text).toContain(
      'For each event: Step 1 (in parallel) partners resolves Partner entities at agreementChanged.agreement.parties.@ threat-focus-areas resolves ThreatFocusArea entities',
    );
  });

  test('draws a Defer node: what is answered first, then each deferred part, where it goes and what it waits for', () => {
    const text = panelText(
      report(
        {
          kind: 'Defer',
          primary: { kind: 'Steps', fetches: [root('sectors')] },
          deferred: [
            {
              label: 'cascade',
              path: 'sector',
              after: ['sectors'],
              then: { kind: 'Steps', fetches: [entities(1, 'sectors', 'sector', 'Sector')] },
            },
            { path: '', after: [] },
          ],
        },
        [root('sectors'), entities(2, 'sectors', 'sector', 'Sector')],
      ),
    );
    expect(text).toContain('Defer Answered first: Step 1 sectors answers the root fields');
    expect(text).toContain(
      'Then, as it comes: the deferred part cascade at sector , once sectors answered Step 1 sectors resolves Sector entities at sector',
    );
    expect(text).toContain('the deferred part 2 at the root Nothing more to fetch.');
  });

  test('draws any other plan as its steps, as before (and a report without an outline too)', () => {
    const fetches = [root('partners'), entities(2, 'agreements', 'partner', 'Partner')];
    for (const outline of [{ kind: 'Steps' as const, fetches }, undefined]) {
      const text = panelText(report(outline, fetches));
      expect(text).toContain(
        'Step 1 partners answers the root fields Step 2 agreements resolves Partner entities at partner',
      );
      expect(text).not.toContain('Subscription');
      expect(text).not.toContain('Defer');
    }
  });
});
