/** Scenarios (customer journeys): the graph, its validation, the step function and the simulator. */
export * from './model.js';
export * from './assign.js';
export * from './conditions.js';
export * from './matching.js';
export * from './time.js';
export * from './validate.js';
export * from './step.js';
export * from './simulate.js';
export * from './templates/index.js';
