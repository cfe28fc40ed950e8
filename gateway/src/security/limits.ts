import type { ApolloServerPlugin, GraphQLRequestContext, GraphQLRequestListener } from '@apollo/server';
import { refusal, type ErrorCode } from '@cip/core';
import {
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  getNamedType,
  getVariableValues,
  isCompositeType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  parse,
  visit,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type GraphQLType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GatewayContext } from '../context.js';
import type { FieldCost } from './supergraphSecurity.js';

/** The limits every operation must stay within; each is configurable (see config.ts). */
export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  maxBatch: number;
  /** The size assumed for a list without a page-size argument. */
  assumedListSize: number;
}

/** What one operation measures, with fragments expanded where they are used. */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
  cost: number;
}

/** Arguments that set how many items a field returns (Relay's `first`, as `@listSize(slicingArguments:)`). */
const SLICING_ARGUMENTS = ['first', 'last'];
/** The list fields of a connection sized by its slicing argument (as `@listSize(sizedFields:)`). */
const SIZED_FIELDS = new Set(['nodes', 'edges']);
/**
 * The page an office answers for a page-size argument that is null or absent and declares no
 * default of its own: the offices' `DEFAULT_PAGE_SIZE` (packages/subgraph-kit/src/pagination.ts,
 * which the gateway does not import). Every page-size argument of today's SDL declares it as its
 * default (`first: Int = 20`), which is what the estimate reads first.
 */
export const OFFICE_DEFAULT_PAGE_SIZE = 20;
/**
 * Work done measuring one operation is bounded too: fragments spread many times over can expand
 * exponentially; past this many visited fields the operation is refused as too costly.
 */
const MAX_VISITED_FIELDS = 50_000;

function limitError(code: ErrorCode, message: string, extensions: Record<string, unknown>): GraphQLError {
  return refusal(code, message, { extensions });
}

/** Counts lexical tokens, stopping just past `limit`; null when the text is not valid GraphQL (parsing will say why). */
export function countTokens(query: string, limit: number): number | null {
  try {
    const lexer = new Lexer(new Source(query));
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) if (++count > limit) return count;
    return count;
  } catch {
    return null;
  }
}

function selectedOperation(document: DocumentNode, name: string | undefined): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  return name
    ? operations.find((operation) => operation.name?.value === name)
    : operations.length === 1
      ? operations[0]
      : undefined;
}

class TooMuchWork extends Error {}

/**
 * Measures an operation against the schema: depth, aliases, root fields and directives, and an
 * estimated cost: each object field costs 1, leaves 0 (or the field's `@cost(weight:)`), and a
 * list multiplies what is under it by its size: the page-size argument when it has one
 * (`@listSize(slicingArguments:)`), as execution will see it (a literal, a variable with the
 * operation's defaults applied, or the argument's default; null is the office's default page),
 * applied to the connection's `nodes` / `edges` (`sizedFields`), else the field's
 * `@listSize(assumedSize:)`, else `assumedListSize`. `variables` are the request's, as sent.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  assumedListSize: number,
  costs: ReadonlyMap<string, FieldCost> = new Map(),
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let directives = 0;
  visit(document, { Directive: () => void directives++ });
  let aliases = 0;
  let depth = 0;
  let visited = 0;
  const values = executionVariables(schema, operation, variables);

  const sizeOf = (field: FieldNode, parent: GraphQLCompositeType, hint: FieldCost | undefined): number | undefined => {
    const definition =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[field.name.value] : undefined;
    const slicing = (hint?.slicingArguments ?? SLICING_ARGUMENTS).flatMap((name): GraphQLArgument[] => {
      const argument = definition?.args.find((candidate) => candidate.name === name);
      return argument ? [argument] : [];
    });
    if (slicing.length === 0) return undefined;
    for (const argument of slicing) {
      const node = field.arguments?.find((candidate) => candidate.name.value === argument.name);
      // As execution reads it: a variable the request leaves out takes the argument's default.
      const given = node ? valueFromAST(node.value, argument.type, values) : undefined;
      const value = given === undefined ? argument.defaultValue : given;
      if (typeof value === 'number') return Math.max(0, value);
    }
    // Null (or absent without a default): the office answers its default page, not an empty one.
    const declared = slicing.map((argument) => argument.defaultValue).find((value) => typeof value === 'number');
    return typeof declared === 'number' ? declared : OFFICE_DEFAULT_PAGE_SIZE;
  };

  /** The cost of a selection set; `slice` is the page of the connection it belongs to. */
  const costOf = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    level: number,
    slice: { size: number; sizedFields: ReadonlySet<string> } | undefined,
    activeFragments: ReadonlySet<string>,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || activeFragments.has(fragment.name.value)) continue; // validation reports both
        const type = schema.getType(fragment.typeCondition.name.value);
        if (!isCompositeType(type)) continue;
        cost += costOf(fragment.selectionSet, type, level, slice, new Set([...activeFragments, fragment.name.value]));
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (!isCompositeType(type)) continue;
        cost += costOf(selection.selectionSet, type, level, slice, activeFragments);
        continue;
      }
      if (++visited > MAX_VISITED_FIELDS) throw new TooMuchWork();
      if (selection.alias) aliases++;
      depth = Math.max(depth, level);
      const definition =
        isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
      if (!definition) continue;
      const type = getNamedType(definition.type);
      const hint = costs.get(`${parent.name}.${definition.name}`);
      if (!selection.selectionSet || !isCompositeType(type)) {
        cost += hint?.weight ?? 0;
        continue;
      }
      const ownSize = sizeOf(selection, parent, hint);
      const multiplier = isList(definition.type)
        ? slice?.sizedFields.has(selection.name.value)
          ? slice.size
          : (ownSize ?? hint?.assumedSize ?? assumedListSize)
        : 1;
      const ownSlice =
        ownSize === undefined ? undefined : { size: ownSize, sizedFields: new Set(hint?.sizedFields ?? SIZED_FIELDS) };
      cost +=
        (hint?.weight ?? 1) + multiplier * costOf(selection.selectionSet, type, level + 1, ownSlice, activeFragments);
    }
    return cost;
  };

  const root = schema.getRootType(operation.operation);
  const rootFields = countRootFields(operation.selectionSet, fragments, new Set());
  if (!root) return { depth: 0, aliases: 0, rootFields, directives, cost: 0 };
  try {
    const cost = costOf(operation.selectionSet, root, 1, undefined, new Set());
    return { depth, aliases, rootFields, directives, cost };
  } catch (error) {
    if (!(error instanceof TooMuchWork)) throw error;
    return { depth, aliases, rootFields, directives, cost: Number.POSITIVE_INFINITY };
  }
}

/**
 * The variables as execution will see them: coerced, with the operation's defaults applied (a
 * variable left out of the request takes its `= default`). Variables that do not coerce are
 * measured as sent: execution refuses them anyway.
 */
function executionVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): Readonly<Record<string, unknown>> {
  const { coerced } = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1 });
  return coerced ?? variables;
}

function isList(type: GraphQLType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function countRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  active: ReadonlySet<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count++;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      count += countRootFields(selection.selectionSet, fragments, active);
    else {
      const fragment = fragments.get(selection.name.value);
      if (fragment && !active.has(fragment.name.value))
        count += countRootFields(fragment.selectionSet, fragments, new Set([...active, fragment.name.value]));
    }
  }
  return count;
}

/** Throws the coded error of the first limit the measure is over. */
export function checkLimits(measure: OperationMeasure, limits: OperationLimits): void {
  const checks: [ErrorCode, number, number, string][] = [
    ['MAX_DEPTH_EXCEEDED', measure.depth, limits.maxDepth, 'The operation nests fields %s deep; the limit is %s.'],
    ['MAX_ALIASES_EXCEEDED', measure.aliases, limits.maxAliases, 'The operation uses %s aliases; the limit is %s.'],
    [
      'MAX_ROOT_FIELDS_EXCEEDED',
      measure.rootFields,
      limits.maxRootFields,
      'The operation asks for %s root fields; the limit is %s.',
    ],
    [
      'MAX_DIRECTIVES_EXCEEDED',
      measure.directives,
      limits.maxDirectives,
      'The operation uses %s directives; the limit is %s.',
    ],
    [
      'COST_LIMIT_EXCEEDED',
      measure.cost,
      limits.maxCost,
      'The operation is estimated to cost %s; the limit is %s. Ask for smaller pages (`first`) or fewer nested lists.',
    ],
  ];
  for (const [code, actual, limit, template] of checks) {
    if (actual <= limit) continue;
    const shown = Number.isFinite(actual) ? String(actual) : 'more than can be counted';
    throw limitError(code, template.replace('%s', shown).replace('%s', String(limit)), {
      limit,
      actual: Number.isFinite(actual) ? actual : null,
    });
  }
}

/** Throws the limit's refusal when the text has more tokens than allowed; false when it is not GraphQL. */
function checkTokens(query: string, limits: OperationLimits): boolean {
  const tokens = countTokens(query, limits.maxTokens);
  if (tokens === null) return false;
  if (tokens > limits.maxTokens)
    throw limitError(
      'MAX_TOKENS_EXCEEDED',
      `The operation has more than ${limits.maxTokens} tokens; the limit is ${limits.maxTokens}.`,
      { limit: limits.maxTokens },
    );
  return true;
}

/**
 * How many distinct request texts keep their parsed document: clients send the same few texts
 * over and over, so each is lexed and parsed here once rather than per request; a flood of
 * distinct texts only evicts the oldest.
 */
const PARSED_TEXTS_KEPT = 1_000;

/** Each request text's document, once within the token limit (null: not GraphQL, Apollo's parsing says why). */
type ParsedTexts = Map<string, DocumentNode | null>;

/** The text's document, parsed once per distinct text; throws the token limit's refusal (never kept). */
function parsedWithinTokenLimit(parsedTexts: ParsedTexts, query: string, limits: OperationLimits): DocumentNode | null {
  const kept = parsedTexts.get(query);
  if (kept !== undefined) return kept;
  let document: DocumentNode | null = null;
  if (checkTokens(query, limits)) {
    try {
      document = parse(query, { maxTokens: limits.maxTokens });
    } catch {
      document = null; // A syntax error: Apollo's parsing reports it.
    }
  }
  if (parsedTexts.size >= PARSED_TEXTS_KEPT) parsedTexts.delete(parsedTexts.keys().next().value as string);
  parsedTexts.set(query, document);
  return document;
}

/** The limits of a request that came with its text, measured on that text before it is validated. */
function checkRequestText(
  requestContext: GraphQLRequestContext<GatewayContext>,
  document: DocumentNode | null,
  limits: OperationLimits,
  costs: ReadonlyMap<string, FieldCost>,
): void {
  const { operationName, variables } = requestContext.request;
  if (!document) return;
  const operation = selectedOperation(document, operationName ?? undefined);
  if (!operation) return; // Apollo reports the missing or ambiguous operation
  checkLimits(
    measureOperation(requestContext.schema, document, operation, variables ?? {}, limits.assumedListSize, costs),
    limits,
  );
}

/**
 * A request refused when it starts still has to travel Apollo's pipeline to get its own status
 * (an error thrown from `requestDidStart` becomes a 500): its text is swapped for this trivial
 * document, and the refusal is thrown once the operation is resolved, before anything executes.
 */
const REFUSED_DOCUMENT = '{ __typename }';

/** Swaps the request for the trivial document; the returned listener refuses it with `error`. */
export function refuseAtResolution(
  requestContext: GraphQLRequestContext<GatewayContext>,
  error: GraphQLError,
): GraphQLRequestListener<GatewayContext> {
  const { request } = requestContext;
  request.query = REFUSED_DOCUMENT;
  delete request.operationName;
  delete request.variables;
  if (request.extensions) delete request.extensions.persistedQuery;
  return {
    async didResolveOperation() {
      throw error;
    },
  };
}

/**
 * Refuses abusive operations before they are planned or executed, with HTTP 400 and the limit's
 * code. A request that brings its text is measured when it starts, before validation, so an alias
 * bomb never reaches it. A request that names its document by hash (an APQ hit, a trusted
 * document the text of which no plugin filled in) is measured once Apollo has resolved the
 * document: with this request's variables, never those it was registered with.
 */
export function limitsPlugin(
  limits: OperationLimits,
  costs: () => ReadonlyMap<string, FieldCost> = () => new Map(),
): ApolloServerPlugin<GatewayContext> {
  // Keyed by the HTTP request: Apollo gives each operation of a batch a shallow copy of the context.
  const operationsPerRequest = new WeakMap<GatewayContext['req'], number>();
  const parsedTexts: ParsedTexts = new Map();
  return {
    async requestDidStart(requestContext) {
      // A batch shares one context: count its operations. Apollo starts every operation of a batch
      // at once, without I/O in between, so after one turn of the event loop the count is the
      // batch's size, and every operation of a batch that is too large is refused (HTTP 400).
      const { req } = requestContext.contextValue;
      operationsPerRequest.set(req, (operationsPerRequest.get(req) ?? 0) + 1);
      if (requestContext.requestIsBatched) await new Promise((resolve) => setImmediate(resolve));
      if ((operationsPerRequest.get(req) ?? 0) > limits.maxBatch) {
        return refuseAtResolution(
          requestContext,
          limitError('BATCH_LIMIT_EXCEEDED', `A batch may hold at most ${limits.maxBatch} operations.`, {
            limit: limits.maxBatch,
          }),
        );
      }
      const { query } = requestContext.request;
      if (typeof query !== 'string') return measuredWhenResolved(limits, costs);
      try {
        checkRequestText(requestContext, parsedWithinTokenLimit(parsedTexts, query, limits), limits, costs());
      } catch (error) {
        if (error instanceof GraphQLError && error.extensions.code !== undefined)
          return refuseAtResolution(requestContext, error);
        // Anything else (a variable that does not coerce, say): Apollo's validation reports it.
      }
      return undefined;
    },
  };
}

/** Measures the document Apollo resolved from a hash, with the variables of the request that names it. */
function measuredWhenResolved(
  limits: OperationLimits,
  costs: () => ReadonlyMap<string, FieldCost>,
): GraphQLRequestListener<GatewayContext> {
  return {
    async didResolveOperation({ source, document, operation, request, schema }) {
      if (!operation) return; // Apollo reports the missing or ambiguous operation
      // The stored text passed the token limit when it was registered, but maybe under another configuration.
      checkTokens(source, limits);
      checkLimits(
        measureOperation(schema, document, operation, request.variables ?? {}, limits.assumedListSize, costs()),
        limits,
      );
    },
  };
}
