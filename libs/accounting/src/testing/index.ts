// Fixtures other packages' tests use (the e2e metering check).
export * from './usage-fixtures.js';
