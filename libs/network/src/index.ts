export * from './ipam.js';
export * from './ovsdb/index.js';
export * from './flows/index.js';
export * from './reconciler/index.js';
