export * from './cidr.js';
export * from './ovsdb/index.js';
export * from './flows/index.js';
