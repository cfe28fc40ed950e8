import type { DeferNode, DeferredNode, PlanNode } from '@apollo/query-planner';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  getNamedType,
  GraphQLError,
  isCompositeType,
  isObjectType,
  Kind,
  parse,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { fragmentBody } from './fragmentBody.js';
import { isSubtype, shapeAt, type ResponseObject } from './resultShaping.js';

type ResponsePath = (string | number)[];

/** One deferred fragment's data at one place of the response (one object of a list, say). */
export interface DeferredPart {
  readonly data: ResponseObject | null;
  /** From the response root, list indices included. */
  readonly path: ResponsePath;
  /** The fragment's `@defer(label:)`, when the operation gave one. */
  readonly label?: string;
  /** Errors of the part's fetches, with paths from the response root. */
  readonly errors?: GraphQLError[];
  /** As the stock executor's response: the shaping's errors (`valueCompletion`) when the fetches had none. */
  readonly extensions?: { valueCompletion: GraphQLError[] };
}

/** A payload after the initial one (deferSpec=20220824): the parts of one deferred fragment, and whether more follow. */
export interface SubsequentPayload {
  readonly incremental?: DeferredPart[];
  readonly hasNext: boolean;
}

/** Where an operation's deferred parts go as each completes; the last payload has `hasNext: false`. */
export interface DeferredPartSink {
  push(payload: SubsequentPayload): void;
}

/** How a request takes its deferred parts (the gateway's HTTP concern, given to `installFastExecutor`). */
export interface IncrementalDelivery {
  /**
   * Whether the request takes deferred parts streamed. When it does not, the operation is run as if
   * written without `@defer` (its own plan, one response: exactly the answer without the directive).
   */
  accepts(requestContext: GatewayGraphQLRequestContext): boolean;
  /** Opens the request's stream of parts: once, when its plan's first Defer node with deferred blocks runs. */
  open(requestContext: GatewayGraphQLRequestContext): DeferredPartSink;
}

/** What the part shaping reads of the operation. */
export interface DeferredOperation {
  readonly schema: GraphQLSchema;
  readonly rootType: GraphQLCompositeType;
  readonly selectionSet: SelectionSetNode;
  readonly fragments: Record<string, FragmentDefinitionNode>;
  readonly variables: Record<string, unknown>;
  /** The merged subgraph data, which every fetch of the plan, deferred or not, writes into. */
  readonly unfilteredData: ResponseObject;
}

interface Signal {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function signal(): Signal {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** Runs a plan node: planExecutor.ts' `executeNode`, passed in so that this file does not import it back. */
export type RunNode<State, Cursor> = (state: State, node: PlanNode, cursor: Cursor) => Promise<void>;

/** The deferral a plan node runs in: the whole operation's run, and the part (or initial payload) it belongs to. */
export interface DeferScope {
  readonly run: DeferredRun;
  /** Resolves once the part this node's results belong to has been delivered (the initial payload: shaped). */
  readonly delivered: Promise<void>;
}

/** What the run reads and sets of planExecutor.ts' ExecutionState. */
interface StateWithDefer {
  readonly errors: GraphQLError[];
  readonly defer?: DeferScope;
}

const parsedSubselections = new WeakMap<object, SelectionSetNode | null>();

/** The part's selection set as the planner prints it: the fragment's own, or its nested Defer's primary. */
function subselectionOf(deferred: DeferredNode): SelectionSetNode | null {
  let parsed = parsedSubselections.get(deferred);
  if (parsed === undefined) {
    const text =
      deferred.subselection ?? (deferred.node?.kind === 'Defer' ? deferred.node.primary.subselection : undefined);
    parsed = text
      ? (parse(`query ${text}`).definitions.flatMap((d) =>
          d.kind === Kind.OPERATION_DEFINITION ? [d.selectionSet] : [],
        )[0] ?? null)
      : null;
    parsedSubselections.set(deferred, parsed);
  }
  return parsed;
}

/**
 * The deferred blocks of one operation's plan. Each starts as soon as the fetches it `depends` on
 * are in (or its Defer node's primary has run, for a dependency the plan skipped), keeps its own
 * errors, and is shaped and pushed as its part once the part above it (or the initial payload) has
 * been delivered; the last part pushed says `hasNext: false`.
 */
export class DeferredRun {
  private readonly fetched = new Map<string, Signal>();
  private readonly initial = signal();
  /** The response as delivered so far (initial data, then each part merged at its path). */
  private delivered: ResponseObject | null = null;
  private pending = 0;
  private sink: DeferredPartSink | undefined;

  constructor(
    private readonly operation: DeferredOperation,
    /** Opened when the first Defer node with deferred blocks runs: a plan whose taken branch defers nothing answers as usual. */
    private readonly openSink: () => DeferredPartSink,
  ) {}

  /** Whether parts are being streamed: the initial payload leaves the deferred fragments out. */
  get streaming(): boolean {
    return this.sink !== undefined;
  }

  /** The scope of the plan's root: its parts wait for the initial payload. */
  rootScope(): DeferScope {
    return { run: this, delivered: this.initial.promise };
  }

  /** A Fetch node with an id has settled (deferred blocks may depend on it). */
  fetchDone(id: string): void {
    this.fetchSignal(id).resolve();
  }

  /** The initial payload is shaped: parts can be placed in it now. */
  initialShaped(data: ResponseObject | null): void {
    // A copy: parts are merged into it, and the initial payload may not have been serialized yet.
    this.delivered = data && structuredClone<ResponseObject>(data);
    this.initial.resolve();
    if (this.sink && this.pending === 0) this.sink.push({ hasNext: false });
  }

  /** Runs a Defer node: its primary now, each deferred block as its dependencies allow. */
  async executeDefer<State extends StateWithDefer, Cursor>(
    state: State,
    node: DeferNode,
    cursor: Cursor,
    runNode: RunNode<State, Cursor>,
  ): Promise<void> {
    if (node.deferred.length > 0) this.sink ??= this.openSink();
    const scope = state.defer ?? this.rootScope();
    const primaryDone = signal();
    for (const deferred of node.deferred) {
      this.pending++;
      void this.runDeferred(state, scope, deferred, cursor, primaryDone.promise, runNode);
    }
    try {
      if (node.primary.node) await runNode(state, node.primary.node, cursor);
    } finally {
      primaryDone.resolve();
    }
  }

  private fetchSignal(id: string): Signal {
    let existing = this.fetched.get(id);
    if (!existing) this.fetched.set(id, (existing = signal()));
    return existing;
  }

  private async runDeferred<State extends StateWithDefer, Cursor>(
    parent: State,
    parentScope: DeferScope,
    deferred: DeferredNode,
    cursor: Cursor,
    primaryDone: Promise<void>,
    runNode: RunNode<State, Cursor>,
  ): Promise<void> {
    const dependencies = Promise.all(deferred.depends.map(({ id }) => this.fetchSignal(id).promise));
    await Promise.race([dependencies, primaryDone]);
    const errors: GraphQLError[] = [];
    const partDelivered = signal();
    const state: State = { ...parent, errors, defer: { run: this, delivered: partDelivered.promise } };
    try {
      if (deferred.node) await runNode(state, deferred.node, cursor);
    } catch (error) {
      errors.push(error instanceof GraphQLError ? error : new GraphQLError((error as Error).message));
    }
    try {
      // Its parent objects are in the part above (or the initial payload) once that is delivered.
      await parentScope.delivered;
      await primaryDone;
      try {
        this.deliver(deferred, errors);
      } catch {
        // A part that cannot be shaped (a broken subgraph answer) is left out; the stream still ends.
        this.pending--;
        if (this.pending === 0) this.sink?.push({ hasNext: false });
      }
    } finally {
      partDelivered.resolve();
    }
  }

  private deliver(deferred: DeferredNode, errors: GraphQLError[]): void {
    const parts: DeferredPart[] = [];
    const selectionSet = subselectionOf(deferred);
    const instances = this.delivered && selectionSet ? this.instancesAt(deferred.queryPath) : [];
    const unplaced = [...errors];
    for (const instance of instances) {
      const shaped = shapeAt(instance.input, selectionSet!, instance.path, instance.runtimeType, instance.type, {
        schema: this.operation.schema,
        fragments: this.operation.fragments,
        variables: this.operation.variables,
        skipDeferred: true,
      });
      const partErrors: GraphQLError[] = [];
      for (let index = unplaced.length - 1; index >= 0; index--) {
        if (isUnder(unplaced[index]?.path, instance.path)) partErrors.unshift(...unplaced.splice(index, 1));
      }
      if (shaped.data) mergeInto(instance.view, shaped.data);
      parts.push({
        data: shaped.data,
        path: instance.path,
        ...(deferred.label === undefined ? {} : { label: deferred.label }),
        ...(partErrors.length > 0 ? { errors: partErrors } : {}),
        // The stock executor's rule for a response, per part: shaping errors only where no fetch failed.
        ...(partErrors.length === 0 && shaped.errors.length > 0
          ? { extensions: { valueCompletion: shaped.errors } }
          : {}),
      });
    }
    // An error no part is under (one without a path, say) goes with the first part.
    const first = parts[0];
    if (first && unplaced.length > 0) {
      // With fetch errors now, its shaping errors are left out (the rule above).
      parts[0] = {
        data: first.data,
        path: first.path,
        ...(first.label === undefined ? {} : { label: first.label }),
        errors: [...unplaced, ...(first.errors ?? [])],
      };
    }
    this.pending--;
    const hasNext = this.pending > 0;
    // No place for the fragment (its parents are null or empty lists): nothing to send but the end.
    if (parts.length > 0) this.sink?.push({ incremental: parts, hasNext });
    else if (!hasNext) this.sink?.push({ hasNext });
  }

  /**
   * Every object the deferred fragment applies to: `queryPath` (response names and `... on T`
   * conditions, no indices) walked through the delivered response, each list element its own
   * instance, with the merged data at the same place to shape from.
   */
  private instancesAt(queryPath: readonly string[]): Instance[] {
    const { schema, rootType, selectionSet, fragments, unfilteredData } = this.operation;
    let current: Instance[] = [
      {
        path: [],
        view: this.delivered!,
        input: unfilteredData,
        type: rootType,
        runtimeType: rootType,
        selections: [selectionSet],
      },
    ];
    for (const element of queryPath) {
      const next: Instance[] = [];
      if (element.startsWith('... on ')) {
        const condition = schema.getType(element.slice('... on '.length));
        if (!isCompositeType(condition)) return [];
        for (const instance of current) {
          if (isSubtype(condition, instance.runtimeType)) next.push({ ...instance, type: condition });
        }
        current = next;
        continue;
      }
      for (const instance of current) {
        const { fieldType, selections } = fieldAt(instance.selections, instance.type, element, fragments, schema);
        if (!fieldType) continue;
        expand(instance.view[element], instance.input[element], [...instance.path, element], (view, input, path) => {
          const typename = input.__typename;
          const named = typeof typename === 'string' ? schema.getType(typename) : undefined;
          const runtimeType = named && isObjectType(named) ? named : fieldType;
          next.push({ path, view, input, type: fieldType, runtimeType, selections });
        });
      }
      current = next;
    }
    return current;
  }
}

interface Instance {
  readonly path: ResponsePath;
  /** The object as delivered (where the part's data is merged, for parts below it). */
  readonly view: ResponseObject;
  readonly input: ResponseObject;
  readonly type: GraphQLCompositeType;
  readonly runtimeType: GraphQLCompositeType;
  /** The operation's selection sets on this object, to find the fields (and aliases) of the path below it. */
  readonly selections: readonly SelectionSetNode[];
}

/** The type of the field a response name stands for (its alias or its name), and its selection sets, over every occurrence. */
function fieldAt(
  selectionSets: readonly SelectionSetNode[],
  type: GraphQLCompositeType,
  responseName: string,
  fragments: Record<string, FragmentDefinitionNode>,
  schema: GraphQLSchema,
): { fieldType?: GraphQLCompositeType; selections: SelectionSetNode[] } {
  let fieldType: GraphQLCompositeType | undefined;
  const selections: SelectionSetNode[] = [];
  const visit = (selection: SelectionNode, on: GraphQLCompositeType): void => {
    if (selection.kind === Kind.FIELD) {
      if ((selection.alias?.value ?? selection.name.value) !== responseName || isUnion(on)) return;
      const field = on.getFields()[selection.name.value];
      const named = field ? getNamedType(field.type) : undefined;
      if (!named || !isCompositeType(named)) return;
      fieldType ??= named;
      if (selection.selectionSet) selections.push(selection.selectionSet);
      return;
    }
    const body = fragmentBody(selection, fragments, schema);
    if (!body) return;
    for (const child of body.selectionSet.selections) visit(child, body.condition ?? on);
  };
  for (const selectionSet of selectionSets) for (const selection of selectionSet.selections) visit(selection, type);
  return { ...(fieldType ? { fieldType } : {}), selections };
}

function isUnion(type: GraphQLCompositeType): type is Extract<GraphQLCompositeType, { getTypes: unknown }> {
  return !('getFields' in type);
}

/** Calls `visit` for each object at a field's value: the value itself, or each element of its (nested) lists. */
function expand(
  view: unknown,
  input: unknown,
  path: ResponsePath,
  visit: (view: ResponseObject, input: ResponseObject, path: ResponsePath) => void,
): void {
  if (view === null || view === undefined || typeof view !== 'object') return;
  if (Array.isArray(view)) {
    const inputs = Array.isArray(input) ? (input as unknown[]) : [];
    view.forEach((element: unknown, index) => expand(element, inputs[index], [...path, index], visit));
    return;
  }
  const object = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as ResponseObject) : {};
  visit(view as ResponseObject, object, path);
}

function isUnder(errorPath: readonly (string | number)[] | undefined, path: ResponsePath): boolean {
  return (
    errorPath !== undefined && errorPath.length >= path.length && path.every((key, index) => errorPath[index] === key)
  );
}

/** Merges a shaped part into the delivered response, as a client does. */
function mergeInto(target: ResponseObject, source: ResponseObject): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value) && existing.length === value.length) {
      value.forEach((element: unknown, index) => {
        const into: unknown = existing[index];
        if (isPlainObject(into) && isPlainObject(element)) mergeInto(into, element);
        else existing[index] = element;
      });
    } else target[key] = value;
  }
}

function isPlainObject(value: unknown): value is ResponseObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
