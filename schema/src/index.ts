export {
  API_SCHEMA_FILE,
  COMPOSITION_INPUT,
  SUPERGRAPH_FILE,
  compose,
  formatProblems,
  readCompositionInput,
  type CompositionOutcome,
  type CompositionProblem,
  type SubgraphInput,
} from './compose.js';
