/** The condition-tree language shared by segments, promotions and scenarios. */
export * from './tree.js';
export * from './compare.js';
export * from './where.js';
export * from './field.js';
export * from './count.js';
