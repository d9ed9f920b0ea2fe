// Usage metering, rating and billing exports (issue 7). No side effects at import.
//
// The product path: triggers append lifecycle events in the transaction that changes a VM or network row;
// metering/ derives intervals; aggregation/ writes rated hourly records in SQL with their watermark; billing/
// serves prices, usage, invoices and streamed exports. Exact decimals, FOCUS columns, rows and the conformance
// checker below are shared with it.
//
// Not exported: usage-events, intervals, hourly-split, rating and corrections, a plain-TypeScript reference model of
// the same rules. The FOCUS checker's tests use it (testing/) to generate conformant and deliberately broken months.
export * from './decimal.js';

export * from './skus.js';
export * from './currency.js';
export * from './billing-period.js';
export { roundMoney } from './cost-totals.js';
export * from './csv-codec.js';
export * from './focus-columns.js';
export * from './focus-row.js';
export * from './usage-export.js';
export { CHARGE_CATEGORIES, CHARGE_FREQUENCIES, SERVICE_CATEGORIES, SUBCATEGORY_PARENT, isFocusUnit, parseFocusNumber } from './focus-values.js';
export { COLUMN_RULES, parseKeyValue } from './focus-rules.js';
export * from './focus-conformance.js';
export * from './metering/lifecycle-intervals.js';
export * from './aggregation/usage.repository.js';
export * from './aggregation/usage-aggregator.js';
export * from './billing/billing.repository.js';
export * from './billing/usage-estimate.js';
export * from './billing/billing-export.js';
export * from './billing/periods.repository.js';
export * from './billing/period-bounds.js';
