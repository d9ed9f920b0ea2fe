export * from './load-env.js';
export * from './env-fragments.js';
