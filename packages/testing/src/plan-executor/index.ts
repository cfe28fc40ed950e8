export { canonicalResponse } from './canonicalResponse.js';
export { generateVariants, type Example, type Variant } from './operationVariants.js';
export { composeFleet, fleetApiSchema, startFleet, type FleetSystem } from './fleet/fleetSystem.js';
export { fleetExamples } from './fleet/fleetOperations.js';
export { ranFrom, variantsOffOurPath, type ExecutorCounts, type Ran } from './differential.js';
