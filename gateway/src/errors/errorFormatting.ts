import type { GraphQLFormattedError } from 'graphql';

/**
 * How subgraph errors reach clients: with a code and `extensions.subgraph` naming the office; in
 * production without the subgraph's raw response or an internal message. Stack traces (the
 * gateway's, or an office's passed along) only with `stackTraces` (ERROR_STACK_TRACES in development).
 */
export function formatGatewayError(mode: 'development' | 'production' | 'test', stackTraces = false) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const { serviceName, code, stacktrace, response, exception, ...rest } = formatted.extensions ?? {};
    const fromSubgraph = typeof serviceName === 'string';
    if (!fromSubgraph && mode !== 'production' && (stackTraces || stacktrace === undefined)) return formatted;
    const extensions: Record<string, unknown> = {
      ...rest,
      code:
        code === 'DOWNSTREAM_SERVICE_ERROR' || code === undefined
          ? fromSubgraph
            ? 'SUBGRAPH_ERROR'
            : 'INTERNAL_SERVER_ERROR'
          : code,
      ...(fromSubgraph ? { subgraph: serviceName } : {}),
      ...(mode === 'production' ? {} : { response }),
      ...(stackTraces ? { stacktrace, exception } : {}),
    };
    for (const key of Object.keys(extensions)) if (extensions[key] === undefined) delete extensions[key];
    const internal = mode === 'production' && extensions.code === 'INTERNAL_SERVER_ERROR';
    return {
      ...formatted,
      message: internal
        ? fromSubgraph
          ? `Internal server error in the ${String(serviceName)} subgraph.`
          : 'Internal server error.'
        : formatted.message,
      extensions,
    };
  };
}
