export * from './processes.js';
export * from './database.js';
export * from './tls-front.js';
export * from './eventually.js';
export * from './net.js';
export * from './redis-server.js';
export * from './sim-control.js';
export * from './ssh-keys.js';
