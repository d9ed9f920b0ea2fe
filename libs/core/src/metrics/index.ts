export * from './metrics.js';
export * from './health.js';
