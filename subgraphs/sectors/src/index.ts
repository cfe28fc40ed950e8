import { exitOnStartupError } from '@cip/core';
import { runSubgraph } from '@cip/subgraph-kit';
import { DEFAULT_PORT, sectorsSubgraph } from './server.js';

runSubgraph(sectorsSubgraph, DEFAULT_PORT).catch(exitOnStartupError);
