import type { GatewayContext } from '../context.js';
import type { SubgraphRequestHook } from '../execution/subgraphDataSource.js';

/** Headers the gateway sets itself: a client cannot smuggle them through propagation. */
const RESERVED = new Set(['x-gateway-signature', 'x-gateway-claims', 'content-type', 'content-length', 'host']);

/**
 * Copies the configured client headers (`PROPAGATE_HEADERS`) to every subgraph request. The
 * request id and trace context are propagated by their own concerns; the caller's raw
 * `Authorization` only if it is named in the list: subgraphs get verified claims instead.
 */
export function propagateHeaders(names: readonly string[]): SubgraphRequestHook {
  const allowed = names.map((name) => name.toLowerCase()).filter((name) => !RESERVED.has(name));
  return (_subgraph, { request, context }) => {
    const headers = request.http?.headers;
    // Requests the gateway makes on its own carry an empty context.
    const incoming = (context as Partial<GatewayContext>).req?.headers;
    if (!headers) return;
    for (const name of allowed) {
      const value = incoming?.[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  };
}
