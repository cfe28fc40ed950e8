import { exitOnStartupError } from '@cip/core';
import { runSubgraph } from '@cip/subgraph-kit';
import { DEFAULT_PORT, threatFocusAreasSubgraph } from './server.js';

runSubgraph(threatFocusAreasSubgraph, DEFAULT_PORT).catch(exitOnStartupError);
