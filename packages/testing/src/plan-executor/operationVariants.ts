import {
  getNamedType,
  isAbstractType,
  Kind,
  parse,
  print,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type InlineFragmentNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * Systematic variants of example operations for the differential tests of the fast executor: the
 * same selections written every way GraphQL allows (aliases, fragments inline and named, on the
 * abstract type and on each of its object types, __typename everywhere, duplicated fields), each
 * field removed, and each composite field under @include/@skip driven by variables.
 */

export interface Variant {
  label: string;
  query: string;
  variables?: Record<string, unknown>;
}

export interface Example {
  name: string;
  document: DocumentNode;
  /** Variables to run the example with besides none (its defaults). */
  alternateVariables?: readonly Record<string, unknown>[];
}

const field = (name: string, alias?: string): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: name },
  ...(alias ? { alias: { kind: Kind.NAME, value: alias } } : {}),
});

const conditionDirective = (name: 'skip' | 'include', variable: string): DirectiveNode => ({
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: name },
  arguments: [
    {
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: 'if' },
      value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: variable } },
    },
  ],
});

const booleanVariable = (name: string, defaultValue?: boolean): VariableDefinitionNode => ({
  kind: Kind.VARIABLE_DEFINITION,
  variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: name } },
  type:
    defaultValue === undefined
      ? { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Boolean' } } }
      : { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'Boolean' } },
  ...(defaultValue === undefined ? {} : { defaultValue: { kind: Kind.BOOLEAN, value: defaultValue } }),
});

const namedType = (name: string) => ({ kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: name } }) as const;

/** How many leaf and composite fields the document has. */
function countFields(document: DocumentNode): { leaves: number; composites: number } {
  let leaves = 0;
  let composites = 0;
  visit(document, {
    Field(node) {
      if (node.selectionSet) composites++;
      else leaves++;
    },
  });
  return { leaves, composites };
}

/** Applies `change` to the n-th field (of the kind asked) in document order. */
function mapNthField(
  document: DocumentNode,
  composite: boolean,
  n: number,
  change: (node: FieldNode) => FieldNode | null,
): DocumentNode {
  let index = -1;
  return visit(document, {
    Field(node) {
      if (Boolean(node.selectionSet) !== composite) return undefined;
      index++;
      return index === n ? change(node) : undefined;
    },
  });
}

/** How many inline fragments the document has. */
function countInlineFragments(document: DocumentNode): number {
  let count = 0;
  visit(document, {
    InlineFragment() {
      count++;
    },
  });
  return count;
}

/** Adds the directive to the n-th inline fragment in document order. */
function directNthInlineFragment(document: DocumentNode, n: number, directive: DirectiveNode): DocumentNode {
  let index = -1;
  return visit(document, {
    InlineFragment(node) {
      index++;
      return index === n ? { ...node, directives: [...(node.directives ?? []), directive] } : undefined;
    },
  });
}

/** Adds the directive to every fragment spread. */
function directSpreads(document: DocumentNode, directive: DirectiveNode): DocumentNode {
  return visit(document, {
    FragmentSpread(node) {
      return { ...node, directives: [...(node.directives ?? []), directive] };
    },
  });
}

function withVariables(document: DocumentNode, definitions: VariableDefinitionNode[]): DocumentNode {
  return visit(document, {
    OperationDefinition(node) {
      return { ...node, variableDefinitions: [...(node.variableDefinitions ?? []), ...definitions] };
    },
  });
}

/** Wraps every selection set in an inline fragment on its type (`typed`) or without one. */
export function inlineFragments(schema: GraphQLSchema, document: DocumentNode, typed: boolean): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet: {
        leave(node: SelectionSetNode): SelectionSetNode {
          const type = getNamedType(typeInfo.getType() ?? typeInfo.getParentType());
          const typeName = type?.name ?? 'Query';
          return {
            kind: Kind.SELECTION_SET,
            selections: [
              {
                kind: Kind.INLINE_FRAGMENT,
                ...(typed ? { typeCondition: namedType(typeName) } : {}),
                selectionSet: node,
              },
            ],
          };
        },
      },
    }),
  );
}

/**
 * Replaces each selection set on an abstract type by one inline fragment per possible object type,
 * each with the whole selection set (and __typename outside them, so each object says its type).
 */
export function concreteFragments(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(node: FieldNode): FieldNode {
          const type = getNamedType(typeInfo.getType());
          if (!node.selectionSet || !type || !isAbstractType(type)) return node;
          const selectionSet = node.selectionSet;
          const perType: InlineFragmentNode[] = schema.getPossibleTypes(type).map((possible) => ({
            kind: Kind.INLINE_FRAGMENT,
            typeCondition: namedType(possible.name),
            // Without the fragments on other object types, which cannot be spread inside this one.
            selectionSet: {
              ...selectionSet,
              selections: selectionSet.selections.filter((selection) => {
                if (selection.kind !== Kind.INLINE_FRAGMENT || !selection.typeCondition) return true;
                const condition = schema.getType(selection.typeCondition.name.value);
                return condition === possible || (isAbstractType(condition) && schema.isSubType(condition, possible));
              }),
            },
          }));
          return { ...node, selectionSet: { kind: Kind.SELECTION_SET, selections: [field('__typename'), ...perType] } };
        },
      },
    }),
  );
}

/** Moves each composite field's selections into a named fragment on its type. */
export function namedFragments(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const fragments: FragmentDefinitionNode[] = [];
  const rewritten = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        leave(node: FieldNode): FieldNode {
          if (!node.selectionSet) return node;
          const type = getNamedType(typeInfo.getType());
          if (!type) return node;
          const name = `F${String(fragments.length)}`;
          fragments.push({
            kind: Kind.FRAGMENT_DEFINITION,
            name: { kind: Kind.NAME, value: name },
            typeCondition: namedType(type.name),
            selectionSet: node.selectionSet,
          });
          return {
            ...node,
            selectionSet: {
              kind: Kind.SELECTION_SET,
              selections: [{ kind: Kind.FRAGMENT_SPREAD, name: { kind: Kind.NAME, value: name } }],
            },
          };
        },
      },
    }),
  );
  return { ...rewritten, definitions: [...rewritten.definitions, ...fragments] };
}

export function aliasFields(document: DocumentNode, every: number): DocumentNode {
  let index = 0;
  return visit(document, {
    Field(node) {
      index++;
      return index % every === 0 && !node.alias
        ? { ...node, alias: { kind: Kind.NAME, value: `a${String(index)}` } }
        : undefined;
    },
  });
}

export function addTypenames(document: DocumentNode, alias?: string): DocumentNode {
  return visit(document, {
    SelectionSet(node) {
      return { ...node, selections: [field('__typename', alias), ...node.selections] };
    },
  });
}

/** Each composite field twice: once as written, once aliased with only its first selection. */
export function duplicateComposites(document: DocumentNode): DocumentNode {
  let index = 0;
  return visit(document, {
    SelectionSet(node) {
      const extra = node.selections.flatMap((selection) => {
        if (selection.kind !== Kind.FIELD || !selection.selectionSet) return [];
        const first = selection.selectionSet.selections[0];
        if (!first) return [];
        index++;
        return [
          {
            ...selection,
            alias: { kind: Kind.NAME, value: `dup${String(index)}` },
            selectionSet: { kind: Kind.SELECTION_SET, selections: [first] },
          } satisfies FieldNode,
        ];
      });
      return { ...node, selections: [...node.selections, ...extra] };
    },
  });
}

function parses(query: string): boolean {
  try {
    parse(query);
    return true;
  } catch {
    return false;
  }
}

/**
 * The variants of each example. Rewrites that change nothing for an example (fragments on
 * abstract types in an operation without any) are left out rather than sent twice.
 */
export function generateVariants(schema: GraphQLSchema, examples: readonly Example[]): Variant[] {
  const variants: Variant[] = [];
  for (const { name, document, alternateVariables } of examples) {
    const asWritten = print(document);
    const add = (label: string, doc: DocumentNode, variables?: Record<string, unknown>) => {
      const query = print(doc);
      if (label !== 'as written' && query === asWritten && !variables) return;
      // Invalid GraphQL never reaches an executor: both gateways answer with the same validation
      // errors, which prove nothing about the executor.
      // (Printing the document again catches selection sets emptied by a removal.)
      if (!parses(query) || validate(schema, doc).length > 0) return;
      variants.push({ label: `${name} ${label}`, query, ...(variables ? { variables } : {}) });
    };
    add('as written', document);
    for (const variables of alternateVariables ?? [])
      add(`variables ${JSON.stringify(variables)}`, document, variables);
    add('aliases on every field', aliasFields(document, 1));
    add('aliases on every third field', aliasFields(document, 3));
    add('__typename everywhere', addTypenames(document));
    add('aliased __typename everywhere', addTypenames(document, 'kind_of'));
    add('typed inline fragments', inlineFragments(schema, document, true));
    add('untyped inline fragments', inlineFragments(schema, document, false));
    add('named fragments', namedFragments(schema, document));
    add('fragments on each object type', concreteFragments(schema, document));
    add('named fragments on each object type', namedFragments(schema, concreteFragments(schema, document)));
    add('duplicated composite fields', duplicateComposites(document));
    const { leaves, composites } = countFields(document);
    for (let leaf = 0; leaf < leaves; leaf++) {
      // Removing a field's only selection leaves invalid GraphQL: `add` leaves such variants out.
      add(
        `without leaf ${String(leaf)}`,
        mapNthField(document, false, leaf, () => null),
      );
    }
    for (let composite = 0; composite < composites; composite++) {
      const included = withVariables(
        mapNthField(document, true, composite, (node) => ({
          ...node,
          directives: [...(node.directives ?? []), conditionDirective('include', 'on')],
        })),
        [booleanVariable('on')],
      );
      add(`@include(if: true) on composite ${String(composite)}`, included, { on: true });
      add(`@include(if: false) on composite ${String(composite)}`, included, { on: false });
      const skipped = withVariables(
        mapNthField(document, true, composite, (node) => ({
          ...node,
          directives: [...(node.directives ?? []), conditionDirective('skip', 'off')],
        })),
        [booleanVariable('off', true)],
      );
      add(`@skip(if: $off = true) on composite ${String(composite)}`, skipped);
      add(`@skip(if: false) on composite ${String(composite)}`, skipped, { off: false });
    }
    for (let fragment = 0; fragment < countInlineFragments(document); fragment++) {
      const included = withVariables(directNthInlineFragment(document, fragment, conditionDirective('include', 'on')), [
        booleanVariable('on'),
      ]);
      add(`@include(if: true) on inline fragment ${String(fragment)}`, included, { on: true });
      add(`@include(if: false) on inline fragment ${String(fragment)}`, included, { on: false });
      const skipped = withVariables(directNthInlineFragment(document, fragment, conditionDirective('skip', 'off')), [
        booleanVariable('off', true),
      ]);
      add(`@skip(if: $off = true) on inline fragment ${String(fragment)}`, skipped);
    }
    const spreadsSkipped = withVariables(
      directSpreads(namedFragments(schema, document), conditionDirective('skip', 'off')),
      [booleanVariable('off')],
    );
    add('@skip(if: true) on every fragment spread', spreadsSkipped, { off: true });
    add('@skip(if: false) on every fragment spread', spreadsSkipped, { off: false });
  }
  return variants;
}
