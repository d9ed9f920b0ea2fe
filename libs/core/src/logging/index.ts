export * from './logger.js';
export const LOGGER = Symbol('LOGGER');
export * from './caught.js';
