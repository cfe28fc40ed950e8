import { exitOnStartupError } from '@cip/core';
import { runSubgraph } from '@cip/subgraph-kit';
import { DEFAULT_PORT, agreementsSubgraph } from './server.js';

runSubgraph(agreementsSubgraph, DEFAULT_PORT).catch(exitOnStartupError);
