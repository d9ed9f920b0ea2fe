export * from './processes.js';
export * from './database.js';
