import { createHash } from 'node:crypto';
import { formatFocusDateTime } from './billing-period.js';

/** The FOCUS version the export conforms to (the validator's gate), with the 1.3 provider columns added. */
export const FOCUS_VERSION = '1.2';

/** Prefix of our provider-defined tag keys (FOCUS Tags; declared in the metadata's ProviderTagPrefixes). */
export const PROVIDER_TAG_PREFIX = 'cp/';

export type FocusDataType = 'STRING' | 'DECIMAL' | 'DATETIME' | 'JSON';

/** One column of the export, with what the metadata's ColumnDefinition publishes about it. */
export interface FocusColumn {
  readonly name: string;
  readonly dataType: FocusDataType;
  /** Whether FOCUS allows nulls in the column (our rows may be stricter). */
  readonly nullable: boolean;
  readonly description: string;
  /** Fixed number of fractional digits every value is written with (DECIMAL). */
  readonly numberScale?: number;
  readonly numericPrecision?: number;
  readonly stringMaxLength?: number;
  /** The FOCUS version that defines it; `custom` for `x_` columns. */
  readonly since: '1.2' | '1.3' | 'custom';
}

const money = (name: string, description: string): FocusColumn => ({
  name,
  dataType: 'DECIMAL',
  nullable: false,
  numericPrecision: 38,
  numberScale: 12,
  description,
  since: '1.2',
});
const text = (name: string, nullable: boolean, stringMaxLength: number, description: string, since: FocusColumn['since'] = '1.2'): FocusColumn => ({
  name,
  dataType: 'STRING',
  nullable,
  stringMaxLength,
  description,
  since,
});
const time = (name: string, description: string): FocusColumn => ({ name, dataType: 'DATETIME', nullable: false, description, since: '1.2' });

/**
 * Every column, in the fixed order the CSV is written in: FOCUS columns alphabetically, then custom `x_`
 * columns (FOCUS ColumnHandling). Mandatory 1.2 columns, the conditional ones we trigger (resources, regions,
 * unit prices, price lists, usage measurement, tags), the recommended ChargeFrequency/ServiceSubcategory, and
 * the 1.3 ServiceProviderName/HostProviderName. InvoiceId is left out: the 1.2 validator model checks it
 * against both "MUST be null" and "MUST NOT be null" without conditions, so no value can pass.
 */
export const FOCUS_COLUMNS: readonly FocusColumn[] = [
  money('BilledCost', 'A charge serving as the basis for invoicing, inclusive of all reduced rates and discounts.'),
  text('BillingAccountId', false, 64, 'The identifier assigned to a billing account by the provider: the tenant id.'),
  text('BillingAccountName', true, 100, 'The display name assigned to a billing account: the tenant name.'),
  text('BillingCurrency', false, 3, 'The currency that a charge was billed in (ISO 4217).'),
  time('BillingPeriodEnd', 'The exclusive end bound of a billing period (first instant of the next UTC month).'),
  time('BillingPeriodStart', 'The inclusive start bound of a billing period (first instant of the UTC month).'),
  text('ChargeCategory', false, 16, 'The highest-level classification of a charge: Usage.'),
  text('ChargeClass', true, 16, 'Correction when the row corrects a previously invoiced billing period, else null.'),
  text('ChargeDescription', true, 255, "Self-contained summary of the charge's purpose."),
  text('ChargeFrequency', false, 16, 'How often a charge occurs: Usage-Based.'),
  time('ChargePeriodEnd', 'The exclusive end bound of the charge period (the end of the UTC hour).'),
  time('ChargePeriodStart', 'The inclusive start bound of the charge period (the start of the UTC hour).'),
  {
    name: 'ConsumedQuantity',
    dataType: 'DECIMAL',
    nullable: true,
    numericPrecision: 38,
    numberScale: 10,
    since: '1.2',
    description: 'The exact measured volume: active seconds × size, in the Consumed Unit.',
  },
  text('ConsumedUnit', true, 32, 'The unit usage is measured in (Seconds, Core-Seconds, GiB-Seconds).'),
  money('ContractedCost', 'Cost at contracted prices; equal to BilledCost (no negotiated prices).'),
  money('EffectiveCost', 'The amortized cost after discounts and prepaid purchases; equal to BilledCost.'),
  text('HostProviderName', true, 255, 'The provider whose infrastructure hosts the resource (FOCUS 1.3).', '1.3'),
  text('InvoiceIssuerName', false, 255, 'The entity responsible for invoicing.'),
  money('ListCost', 'ListUnitPrice × PricingQuantity, exactly.'),
  {
    name: 'ListUnitPrice',
    dataType: 'DECIMAL',
    nullable: true,
    numericPrecision: 38,
    numberScale: 6,
    since: '1.2',
    description: 'The published unit price for a single Pricing Unit of the SKU.',
  },
  {
    name: 'PricingQuantity',
    dataType: 'DECIMAL',
    nullable: true,
    numericPrecision: 38,
    numberScale: 6,
    since: '1.2',
    description: 'The priced volume: ConsumedQuantity / 3600 rounded half-even to 6 places, in the Pricing Unit.',
  },
  text('PricingUnit', true, 32, 'The unit prices are quoted in (Hours, Core-Hours, GiB-Hours).'),
  text('ProviderName', false, 255, 'The entity that made the resources available for purchase.'),
  text('PublisherName', false, 255, 'The entity that produced the resources that were purchased.'),
  text('RegionId', true, 64, 'The pool the resource is provisioned in.'),
  text('RegionName', true, 255, 'The name of the pool the resource is provisioned in.'),
  text('ResourceId', true, 64, 'Fully-qualified resource identifier: vm/<id>, disk/<id> or network/<id>.'),
  text('ResourceName', true, 63, 'Display name of the resource.'),
  text('ResourceType', true, 32, 'The kind of resource: Virtual Machine, Volume, Snapshot or Network.'),
  text('ServiceCategory', false, 32, 'Highest-level classification of the service (Compute, Storage, Networking).'),
  text('ServiceName', false, 64, 'The offering purchased (Virtual Machines, Block Storage, Private Networks).'),
  text('ServiceProviderName', false, 255, 'The provider of the service (FOCUS 1.3).', '1.3'),
  text('ServiceSubcategory', false, 64, 'Secondary classification of the service category.'),
  text(
    'SkuId',
    true,
    32,
    'The SKU: vm-hour, vcpu-hour, memory-gib-hour, disk-gib-hour, network-hour, volume-gib-hour, snapshot-gib-hour or public-ip-hour.',
  ),
  text('SkuMeter', true, 64, 'The functionality the SKU meters.'),
  {
    name: 'SkuPriceDetails',
    dataType: 'JSON',
    nullable: true,
    since: '1.2',
    description: 'Properties of the SKU price, valued for one Pricing Unit.',
  },
  text('SkuPriceId', true, 32, 'The SKU price: equal to SkuId (one price per SKU; amounts vary by price list version).'),
  { name: 'Tags', dataType: 'JSON', nullable: true, since: '1.2', description: 'Tags of the resource; provider-defined keys start with cp/.' },
  text('x_PriceVersionId', false, 64, 'The price list version the row was rated with (kept for ever).', 'custom'),
];

export const FOCUS_COLUMN_NAMES: readonly string[] = FOCUS_COLUMNS.map((c) => c.name);

export interface FocusMetadataOptions {
  /** The period's finalization time, not now(), so the metadata is byte-stable too (P6). */
  readonly creationDateMs: number;
  readonly dataGenerator: string;
  readonly dataGeneratorVersion?: string;
}

function columnDefinition(c: FocusColumn): Record<string, unknown> {
  return {
    ColumnName: c.name,
    DataType: c.dataType,
    ...(c.numericPrecision !== undefined && { NumericPrecision: c.numericPrecision, NumberScale: c.numberScale }),
    ...(c.stringMaxLength !== undefined && { StringMaxLength: c.stringMaxLength, StringEncoding: 'UTF-8' }),
    ...(c.name === 'Tags' && { ProviderTagPrefixes: [PROVIDER_TAG_PREFIX] }),
  };
}

/** A GUID derived from the column definitions: the same schema always has the same SchemaId. */
export function focusSchemaId(): string {
  const h = createHash('sha256')
    .update(JSON.stringify(FOCUS_COLUMNS.map(columnDefinition)))
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The FOCUS metadata served beside an export (never inside it): generator, schema and column definitions. */
export function focusMetadata(options: FocusMetadataOptions): Record<string, unknown> {
  return {
    DataGenerator: options.dataGenerator,
    ...(options.dataGeneratorVersion !== undefined && { DataGeneratorVersion: options.dataGeneratorVersion }),
    SchemaId: focusSchemaId(),
    FocusVersion: FOCUS_VERSION,
    CreationDate: formatFocusDateTime(options.creationDateMs),
    ColumnDefinition: FOCUS_COLUMNS.map(columnDefinition),
  };
}
