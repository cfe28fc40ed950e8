/**
 * Our gateway's environment in every benchmark, over `supergraphPath` (HOST and PORT are the
 * caller's): production mode, quiet logs, and BENCH_OURS_ENV ('NAME=value&NAME2=value') on top.
 */
export function oursEnv(supergraphPath) {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SUPERGRAPH_PATH: supergraphPath,
    // Every subgraph request is signed as in production (the replaying back end does not check
    // signatures; the other contenders send none). ours@<ref> signs the way that commit does.
    GATEWAY_SIGNING_SECRET: 'benchmark-only-signing-secret-0123456789',
    // The standard numbers stay without in-flight deduplication: overhead sends its one query on
    // every connection, so most subgraph calls would be shared. ours-dedup measures that, apart.
    SUBGRAPH_DEDUP: 'off',
    ...(process.env.BENCH_OURS_ENV ? Object.fromEntries(new URLSearchParams(process.env.BENCH_OURS_ENV)) : {}),
  };
}
