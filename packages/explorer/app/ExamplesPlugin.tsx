import { useGraphiQL, useGraphiQLActions, type GraphiQLPlugin } from '@graphiql/react';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { examples, type Example } from './examples';

function operationName(example: Example): string {
  const operation = parse(example.query).definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return operation?.name?.value ?? '';
}

function ExamplesPanel() {
  const queryEditor = useGraphiQL((state) => state.queryEditor);
  const variableEditor = useGraphiQL((state) => state.variableEditor);
  const actions = useGraphiQLActions();

  const open = (example: Example, andRun: boolean) => {
    queryEditor?.setValue(example.query);
    variableEditor?.setValue(example.variables);
    // GraphiQL re-reads the operation name from the editor after a delay; set it now so a run right
    // away does not send the previous example's name.
    actions.setOperationName(operationName(example));
    if (andRun) actions.run();
  };

  return (
    <section className="cip-examples" aria-label="Example operations">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <p className="cip-hint">
        One ready operation per question analysts ask. To send a token, paste it after <code>Bearer</code> in the
        Headers tab (get one with <code>npm run token</code>).
      </p>
      <ul>
        {examples.map((example) => (
          <li key={example.id} data-example={example.id}>
            <h3>{example.title}</h3>
            <p>{example.explanation}</p>
            <div className="cip-actions">
              <button
                type="button"
                className="graphiql-button"
                disabled={!queryEditor}
                onClick={() => open(example, false)}
              >
                Open
              </button>
              <button
                type="button"
                className="graphiql-button cip-run"
                aria-label={`Run ${example.title}`}
                // The editors appear once Monaco has loaded; until then there is nothing to run.
                disabled={!queryEditor || !variableEditor}
                onClick={() => open(example, true)}
              >
                Run ▶
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ExamplesIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden>
      <path d="M4 5h16M4 12h16M4 19h10" strokeLinecap="round" />
    </svg>
  );
}

export const examplesPlugin: GraphiQLPlugin = { title: 'Examples', icon: ExamplesIcon, content: ExamplesPanel };
