export * from './cidr.js';
