export * from './quota-fixture.js';
