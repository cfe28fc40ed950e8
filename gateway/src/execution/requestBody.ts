import type { FetchNode } from '@apollo/query-planner';

interface BodyFrame {
  /** `{"query":<the operation, JSON-escaped>,"variables":` */
  readonly head: string;
  /** `,"operationName":"…"}` or `}` */
  readonly tail: string;
}

// Per plan node, for the plan's life (plans are cached; a dropped plan takes its frames with it).
const frames = new WeakMap<FetchNode, BodyFrame>();

/**
 * The body of a plan fetch's request, byte for byte what RemoteGraphQLDataSource sends
 * (`JSON.stringify({ query, variables, operationName })`), with the operation text escaped once per
 * plan node rather than once per call: only the variables (an entity fetch's representations) are
 * serialized each time.
 */
export function planFetchBody(fetch: FetchNode, variables: Record<string, unknown>): string {
  let frame = frames.get(fetch);
  if (!frame) {
    frame = {
      head: `{"query":${JSON.stringify(fetch.operation)},"variables":`,
      tail: fetch.operationName === undefined ? '}' : `,"operationName":${JSON.stringify(fetch.operationName)}}`,
    };
    frames.set(fetch, frame);
  }
  return frame.head + JSON.stringify(variables) + frame.tail;
}
