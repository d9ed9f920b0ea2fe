export * from './cloud-init-referee.js';
