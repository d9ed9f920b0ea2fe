// Usage metering, rating and billing exports (issue 7).
export * from './metering/skus.js';
export * from './metering/interval-derivation.js';
export * from './aggregation/usage.repository.js';
export * from './aggregation/usage-aggregator.js';
export * from './billing/billing.repository.js';
