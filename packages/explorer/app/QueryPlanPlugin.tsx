import type { GraphiQLPlugin } from '@graphiql/react';
import { useLastRun, type PlanFetch } from './lastRun';

function stages(fetches: readonly PlanFetch[]): [number, PlanFetch[]][] {
  const byStage = new Map<number, PlanFetch[]>();
  for (const fetch of fetches) byStage.set(fetch.stage, [...(byStage.get(fetch.stage) ?? []), fetch]);
  return [...byStage.entries()].sort(([a], [b]) => a - b);
}

function QueryPlanPanel() {
  const run = useLastRun();
  return (
    <section className="cip-plan" aria-label="Query plan">
      <div className="graphiql-doc-explorer-title">Query plan</div>
      {!run && (
        <p className="cip-hint">Run an operation to see which subgraphs the gateway calls, and in which order.</p>
      )}
      {run && !run.plan && <p className="cip-hint">{run.planUnavailable}</p>}
      {run?.plan && (
        <>
          <p>
            {run.operationName ? <strong>{run.operationName}: </strong> : null}
            {run.plan.subgraphs.length} subgraph{run.plan.subgraphs.length === 1 ? '' : 's'}:{' '}
            <span data-testid="plan-subgraphs">{run.plan.subgraphs.join(', ')}</span>
          </p>
          <ol className="cip-stages">
            {stages(run.plan.fetches).map(([stage, fetches]) => (
              <li key={stage}>
                Step {stage}
                {fetches.length > 1 ? ' (in parallel)' : ''}
                <ul>
                  {fetches.map((fetch, index) => (
                    <li key={index} data-subgraph={fetch.subgraph}>
                      <strong>{fetch.subgraph}</strong>{' '}
                      {fetch.entities
                        ? `resolves ${fetch.entityTypes.join(', ')} entities at ${fetch.path}`
                        : 'answers the root fields'}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
          <h4>Calls made</h4>
          <ol className="cip-calls">
            {run.plan.calls.map((call, index) => (
              <li key={index}>
                <strong>{call.subgraph}</strong>{' '}
                {call.representations === undefined
                  ? 'root query'
                  : `one batch of ${call.representations} ${(call.entityTypes ?? []).join(', ')} entit${call.representations === 1 ? 'y' : 'ies'}`}
              </li>
            ))}
          </ol>
          <details>
            <summary>The plan as the gateway prints it</summary>
            <pre className="cip-plan-text">{run.plan.text}</pre>
          </details>
        </>
      )}
    </section>
  );
}

function PlanIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden>
      <circle cx="5" cy="12" r="2.5" />
      <circle cx="19" cy="5" r="2.5" />
      <circle cx="19" cy="19" r="2.5" />
      <path d="M7.5 12h4M11.5 12V5h5M11.5 12v7h5" />
    </svg>
  );
}

export const queryPlanPlugin: GraphiQLPlugin = { title: 'Query plan', icon: PlanIcon, content: QueryPlanPanel };
