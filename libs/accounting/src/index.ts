// Usage metering, rating and billing exports (issue 7): the pure, database-free core. No side effects at import.
export * from './decimal.js';
export * from './canonical-json.js';
export * from './skus.js';
export * from './currency.js';
export * from './usage-events.js';
export * from './intervals.js';
export * from './hourly-split.js';
export * from './billing-period.js';
export * from './rating.js';
export * from './cost-totals.js';
export * from './corrections.js';
export * from './csv-codec.js';
export * from './focus-columns.js';
export * from './focus-row.js';
export * from './usage-export.js';
export { CHARGE_CATEGORIES, CHARGE_FREQUENCIES, SERVICE_CATEGORIES, SUBCATEGORY_PARENT, isFocusUnit, parseFocusNumber } from './focus-values.js';
export { COLUMN_RULES, parseKeyValue } from './focus-rules.js';
export * from './focus-conformance.js';
// The database path: lifecycle events from triggers, SQL aggregation, prices, usage and exports.
export * from './metering/lifecycle-intervals.js';
export * from './aggregation/usage.repository.js';
export * from './aggregation/usage-aggregator.js';
export * from './billing/billing.repository.js';
export * from './billing/billing-export.js';
export * from './billing/periods.repository.js';
