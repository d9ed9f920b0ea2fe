export * from './cidr.js';
export * from './flows/index.js';
