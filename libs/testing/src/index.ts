export * from './processes.js';
export * from './database.js';
export * from './tls-front.js';
