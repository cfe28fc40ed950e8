import { useLastRun } from './lastRun';

/** Under the response: which subgraphs the last run asked, and which of them answered with errors. */
export function SubgraphStatus() {
  const run = useLastRun();
  if (!run) return null;
  return (
    <div className="cip-status" role="status">
      {run.plan && <span>Subgraphs asked: {run.plan.subgraphs.join(', ')}</span>}
      {run.errors.map((error, index) => (
        <span key={index} className="cip-subgraph-error" data-subgraph={error.subgraph}>
          Error from the <strong>{error.subgraph}</strong> subgraph{error.code ? ` (${error.code})` : ''}:{' '}
          {error.message}
        </span>
      ))}
    </div>
  );
}
