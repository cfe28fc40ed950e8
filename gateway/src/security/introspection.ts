import type { ApolloServerPlugin } from '@apollo/server';
import { refusal } from '@cip/core';
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from '../context.js';
import { isAnalyst } from './callers.js';
import { ANONYMOUS } from './jwt.js';

function selectsIntrospection(document: DocumentNode): boolean {
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition.selectionSet] as const] : [],
    ),
  );
  const seen = new Set<SelectionSetNode>();
  const visit = (selectionSet: SelectionSetNode): boolean => {
    if (seen.has(selectionSet)) return false;
    seen.add(selectionSet);
    return selectionSet.selections.some((selection) => {
      if (selection.kind === Kind.FIELD)
        return (
          selection.name.value === '__schema' ||
          selection.name.value === '__type' ||
          (selection.selectionSet !== undefined && visit(selection.selectionSet))
        );
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      return fragment !== undefined && visit(fragment);
    });
  };
  return document.definitions.some(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION && visit(definition.selectionSet),
  );
}

const SUGGESTION = / Did you mean .*\?$/;

/**
 * What the schema tells whom. In production, introspection is for analysts only, and the "Did you
 * mean ...?" hints in validation errors are dropped for callers without a token, so the schema
 * cannot be mapped out by guessing. Outside production everything is shown.
 */
export function schemaDisclosurePlugin(
  mode: 'development' | 'production' | 'test',
  analystScope: string,
): ApolloServerPlugin<GatewayContext> {
  if (mode !== 'production') return {};
  return {
    async requestDidStart({ contextValue }) {
      const caller = contextValue.caller ?? ANONYMOUS;
      return {
        async didResolveOperation({ document }) {
          if (!isAnalyst(caller, analystScope) && selectsIntrospection(document))
            throw refusal('INTROSPECTION_DISABLED', 'Introspection needs a token with the analyst scope.');
        },
        async willSendResponse({ response }) {
          if (caller.authenticated || response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors;
          if (errors)
            response.body.singleResult.errors = errors.map((error) =>
              SUGGESTION.test(error.message) ? { ...error, message: error.message.replace(SUGGESTION, '') } : error,
            );
        },
      };
    },
  };
}
