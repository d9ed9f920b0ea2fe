export * from './client.js';
export * from './errors.js';
export * from './operations.js';
export * from './pagination.js';
export * from './events.js';
