import { normalizeDecimal, parseDecimal, pow10, type Decimal } from './decimal.js';

/** FOCUS 1.2 allowed values, units and formats that the conformance checker tests against. */
export const CHARGE_CATEGORIES: ReadonlySet<string> = new Set(['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']);
export const CHARGE_FREQUENCIES: ReadonlySet<string> = new Set(['One-Time', 'Recurring', 'Usage-Based']);

// ServiceSubcategory → its one parent ServiceCategory (FOCUS 1.2 servicesubcategory.md); "Other (X)" is added per category.
const SUBCATEGORIES: Record<string, string> = {
  'AI and Machine Learning': 'AI Platforms|Bots|Generative AI|Machine Learning|Natural Language Processing',
  Analytics: 'Analytics Platforms|Business Intelligence|Data Processing|Search|Streaming Analytics',
  'Business Applications': 'Productivity and Collaboration',
  Compute: 'Containers|End User Computing|Quantum Compute|Serverless Compute|Virtual Machines',
  Databases: 'Caching|Data Warehouses|Ledger Databases|NoSQL Databases|Relational Databases|Time Series Databases',
  'Developer Tools': 'Developer Platforms|Continuous Integration and Deployment|Development Environments|Source Code Management|Quality Assurance',
  Identity: 'Identity and Access Management',
  Integration: 'API Management|Messaging|Workflow Orchestration',
  'Internet of Things': 'IoT Analytics|IoT Platforms',
  'Management and Governance': 'Architecture|Compliance|Cost Management|Data Governance|Disaster Recovery|Endpoint Management|Observability|Support',
  Media: 'Content Creation|Gaming|Media Streaming|Mixed Reality',
  Migration: 'Data Migration|Resource Migration',
  Mobile: '',
  Multicloud: 'Multicloud Integration',
  Networking: 'Application Networking|Content Delivery|Network Connectivity|Network Infrastructure|Network Routing|Network Security',
  Security: 'Secret Management|Security Posture Management|Threat Detection and Response',
  Storage: 'Backup Storage|Block Storage|File Storage|Object Storage|Storage Platforms',
  Web: 'Application Platforms',
  Other: '',
};

export const SERVICE_CATEGORIES: ReadonlySet<string> = new Set(Object.keys(SUBCATEGORIES));

/** Parent ServiceCategory of each allowed ServiceSubcategory. */
export const SUBCATEGORY_PARENT: ReadonlyMap<string, string> = new Map(
  Object.entries(SUBCATEGORIES).flatMap(([category, subs]) => [
    ...subs
      .split('|')
      .filter(Boolean)
      .map((s) => [s, category] as const),
    [`Other (${category})`, category] as const,
  ]),
);

/** FOCUS-defined SkuPriceDetails properties and their value types; any other key must start with `x_`. */
export const SKU_PRICE_DETAIL_TYPES: ReadonlyMap<string, 'number' | 'string'> = new Map([
  ['CoreCount', 'number'],
  ['DiskMaxIops', 'number'],
  ['DiskSpace', 'number'],
  ['DiskType', 'string'],
  ['GpuCount', 'number'],
  ['InstanceType', 'string'],
  ['InstanceSeries', 'string'],
  ['MemorySize', 'number'],
  ['NetworkMaxIops', 'number'],
  ['NetworkMaxThroughput', 'number'],
  ['OperatingSystem', 'string'],
  ['Redundancy', 'string'],
  ['StorageClass', 'string'],
]);

// UnitFormat, as the validator's FormatUnit builds it: data sizes, time units, count nouns, and their combinations.
const DATA = 'b|Kb|Mb|Gb|Tb|Pb|Eb|B|KB|MB|GB|TB|PB|EB|Kib|Mib|Gib|Tib|Pib|Eib|KiB|MiB|GiB|TiB|PiB|EiB';
const TIME_ONE = 'Year|Month|Day|Hour|Minute|Second';
const TIME_MANY = 'Years|Months|Days|Hours|Minutes|Seconds';
const COUNT = '[A-Za-z][A-Za-z0-9]*(?:\\s+[A-Za-z][A-Za-z0-9]*)*';
const UNIT_FORMAT = new RegExp(
  [
    `^(?:${DATA}|${TIME_ONE}|${TIME_MANY}|${COUNT})$`,
    `^(?:${DATA}|${COUNT})-(?:${TIME_MANY})$`,
    `^(?:${DATA}|${COUNT}|${TIME_MANY})/(?:${TIME_ONE})$`,
    `^[0-9]+ (?:${DATA}|${TIME_ONE}|${TIME_MANY}|${COUNT})$`,
    `^(?:${DATA}|${COUNT}|${TIME_MANY})/[0-9]+ (?:${TIME_MANY})$`,
  ].join('|'),
);

export function isFocusUnit(text: string): boolean {
  return UNIT_FORMAT.test(text);
}

// NumericFormat: integer, decimal or `mEn`; no "+", no separators; the exponent is signed only when negative.
const FOCUS_NUMBER = /^(-?)(\d*)(?:\.(\d+))?(?:[eE](-?\d+))?$/;

/** Exact value of a FOCUS numeric cell, or null when the text is not FOCUS NumericFormat. */
export function parseFocusNumber(text: string): Decimal | null {
  const m = FOCUS_NUMBER.exec(text);
  if (!m || (m[2] === '' && m[3] === undefined) || text.length > 80) return null;
  const exponent = m[4] === undefined ? 0 : Number(m[4]);
  const fraction = m[3] ?? '';
  // Bounded so that hostile exponents cannot make huge BigInts; our own values never use exponents.
  if (Math.abs(exponent) > 30 || fraction.length > 30) return null;
  const base = parseDecimal(`${m[1]}${m[2] || '0'}${fraction && `.${fraction}`}`);
  if (exponent >= 0) return normalizeDecimal({ units: base.units * pow10(exponent), scale: base.scale });
  return normalizeDecimal({ units: base.units, scale: base.scale - exponent });
}
