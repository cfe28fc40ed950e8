import type { GraphiQLPlugin } from '@graphiql/react';
import { useLastRun, type PlanFetch, type PlanOutline } from './lastRun';

function stages(fetches: readonly PlanFetch[]): [number, PlanFetch[]][] {
  const byStage = new Map<number, PlanFetch[]>();
  for (const fetch of fetches) byStage.set(fetch.stage, [...(byStage.get(fetch.stage) ?? []), fetch]);
  return [...byStage.entries()].sort(([a], [b]) => a - b);
}

/** Fetches by stage: a stage's fetches run in parallel, a stage starts when the one before ends. */
function Steps({ fetches }: { fetches: readonly PlanFetch[] }) {
  if (fetches.length === 0) return <p className="cip-hint">No fetch: the gateway answers this part itself.</p>;
  return (
    <ol className="cip-stages">
      {stages(fetches).map(([stage, staged]) => (
        <li key={stage}>
          Step {stage}
          {staged.length > 1 ? ' (in parallel)' : ''}
          <ul>
            {staged.map((fetch, index) => (
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
  );
}

/** A Subscription node (the office that sends the events, then what runs per event) or a Defer node (first answer, then each part). */
function Outline({ outline }: { outline: PlanOutline }) {
  switch (outline.kind) {
    case 'Steps':
      return <Steps fetches={outline.fetches} />;
    case 'Subscription':
      return (
        <div className="cip-plan-node" data-plan-node="Subscription">
          <h4>Subscription</h4>
          <p data-plan-part="primary">
            Events come from <strong>{outline.primary.subgraph}</strong>: the gateway subscribes to it for this
            operation.
          </p>
          {outline.rest ? (
            <div data-plan-part="rest">
              <p>For each event:</p>
              <Outline outline={outline.rest} />
            </div>
          ) : (
            <p className="cip-hint">Each event is complete as the office sends it: nothing else is fetched.</p>
          )}
        </div>
      );
    case 'Defer':
      return (
        <div className="cip-plan-node" data-plan-node="Defer">
          <h4>Defer</h4>
          <div data-plan-part="primary">
            <p>Answered first:</p>
            {outline.primary ? <Outline outline={outline.primary} /> : <p className="cip-hint">Nothing to fetch.</p>}
          </div>
          <ol className="cip-deferred">
            {outline.deferred.map((part, index) => (
              <li key={index} data-plan-part="deferred" data-deferred-label={part.label ?? ''}>
                <p>
                  Then, as it comes: the deferred part {part.label ? <strong>{part.label}</strong> : index + 1} at{' '}
                  {part.path ? <code>{part.path}</code> : 'the root'}
                  {part.after.length > 0 ? `, once ${part.after.join(', ')} answered` : ''}
                </p>
                {part.then ? <Outline outline={part.then} /> : <p className="cip-hint">Nothing more to fetch.</p>}
              </li>
            ))}
          </ol>
        </div>
      );
  }
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
          {run.plan.outline && run.plan.outline.kind !== 'Steps' ? (
            <Outline outline={run.plan.outline} />
          ) : (
            <Steps fetches={run.plan.fetches} />
          )}
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
