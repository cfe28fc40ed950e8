import { useLastRun } from './lastRun';

/** Under the response: which subgraphs the last run asked, how much of it arrived, and which offices answered with errors. */
export function SubgraphStatus() {
  const run = useLastRun();
  if (!run) return null;
  return (
    <div className="cip-status" role="status">
      {run.plan && <span>Subgraphs asked: {run.plan.subgraphs.join(', ')}</span>}
      {run.kind === 'subscription' && (
        <span className="cip-live" data-testid="events-received">
          Events received: {run.payloads}
        </span>
      )}
      {run.kind === 'operation' && run.payloads > 1 && (
        <span data-testid="parts-received">Parts received: {run.payloads}</span>
      )}
      {run.errors.map((error, index) => (
        <span key={index} className="cip-subgraph-error" data-subgraph={error.subgraph}>
          Error from the <strong>{error.subgraph}</strong> subgraph{error.code ? ` (${error.code})` : ''}:{' '}
          {error.message}
        </span>
      ))}
    </div>
  );
}
