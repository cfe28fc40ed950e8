import { exitOnStartupError } from '@cip/core';
import { runSubgraph } from '@cip/subgraph-kit';
import { DEFAULT_PORT, partnersSubgraph } from './server.js';

runSubgraph(partnersSubgraph, DEFAULT_PORT).catch(exitOnStartupError);
