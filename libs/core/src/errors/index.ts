export * from './domain-error.js';
export * from './validation-failed.error.js';
