// Monaco's editor, JSON and GraphQL workers, bundled by Vite next to the app (no CDN).
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './explorer.css';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { examplesPlugin } from './ExamplesPlugin';
import { examples } from './examples';
import { createExplorerFetcher } from './fetcher';
import { queryPlanPlugin } from './QueryPlanPlugin';
import { SubgraphStatus } from './SubgraphStatus';

// The gateway serves the explorer at `/` and `/graphql`; operations always go to its `/graphql`.
const fetcher = createExplorerFetcher(new URL('/graphql', window.location.href).toString());
const firstExample = examples.find((example) => example.id === 'partnerProfile') ?? examples[0];
// "Bearer " alone is not sent (see fetcher.ts): the analyst pastes a token after it.
const defaultHeaders = JSON.stringify({ Authorization: 'Bearer ' }, null, 2);

const root = document.getElementById('explorer');
if (!root) throw new Error('The page has no #explorer element.');
createRoot(root).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      plugins={[examplesPlugin, queryPlanPlugin, HISTORY_PLUGIN]}
      visiblePlugin={examplesPlugin}
      defaultQuery={firstExample?.query ?? '{ __typename }\n'}
      defaultHeaders={defaultHeaders}
      defaultEditorToolsVisibility="variables"
      {...(firstExample ? { initialVariables: firstExample.variables } : {})}
    >
      <GraphiQL.Logo>CI/KR graph explorer</GraphiQL.Logo>
      <GraphiQL.Footer>
        <SubgraphStatus />
      </GraphiQL.Footer>
    </GraphiQL>
  </StrictMode>,
);
