export * from './logger.js';
export * from './safe-error.js';
export const LOGGER = Symbol('LOGGER');
export * from './caught.js';
