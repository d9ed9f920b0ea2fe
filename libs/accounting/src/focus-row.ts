import { formatFocusDateTime, type BillingPeriod } from './billing-period.js';
import { canonicalJson, compareStrings } from '@xenplane/core';
import type { Cell } from './csv-codec.js';
import { FOCUS_COLUMNS } from './focus-columns.js';
import { HOUR_MS } from './hourly-split.js';
import type { RatedRecord } from './rating.js';
import { SKU_CATALOG } from './skus.js';

/** FOCUS Tags values: strings, numbers, booleans or null, never nested (KeyValueFormat). */
export type TagValue = string | number | boolean | null;

/**
 * Who we are in the file. ProviderName, PublisherName, InvoiceIssuerName and ServiceProviderName all take
 * `name` (a direct provider; FOCUS also requires BilledCost = 0 whenever ProviderName ≠ InvoiceIssuerName).
 * HostProviderName defaults to `name` too: the pools are ours.
 */
export interface ProviderIdentity {
  readonly name: string;
  readonly hostName?: string;
}

/** A rated record plus the display data the export joins in. */
export interface FocusRowInput {
  readonly record: RatedRecord;
  /** The period the row is billed in (for a correction: the open period, not the corrected hour's). */
  readonly period: BillingPeriod;
  readonly tenantName: string | null;
  readonly regionName: string;
  readonly resourceName: string | null;
  readonly tags?: Readonly<Record<string, TagValue>> | null;
}

/** Fully-qualified FOCUS ResourceId (`vm/<id>`): unique across kinds, stable across periods. */
export function focusResourceId(record: Pick<RatedRecord, 'sku' | 'resourceId'>): string {
  return `${SKU_CATALOG[record.sku].resourceKind}/${record.resourceId}`;
}

function nonEmpty(value: string | null, what: string): string {
  if (value === null || value.trim() === '') throw new RangeError(`${what} must be a non-empty string`);
  return value;
}

function optionalName(value: string | null): string | null {
  // FOCUS NullHandling: an absent name is NULL, never "".
  return value === null || value.trim() === '' ? null : value;
}

/** The cells of one FOCUS row, in FOCUS_COLUMNS order (accounting.md §3.4 mapping). */
export function buildFocusRow(input: FocusRowInput, provider: ProviderIdentity): Cell[] {
  const { record: r, period } = input;
  const sku = SKU_CATALOG[r.sku];
  const providerName = nonEmpty(provider.name, 'provider name');
  const tags = input.tags && Object.keys(input.tags).length > 0 ? canonicalJson(input.tags) : null;
  const cells: Record<string, Cell> = {
    BilledCost: r.cost,
    BillingAccountId: nonEmpty(r.tenantId, 'tenant id'),
    BillingAccountName: optionalName(input.tenantName),
    BillingCurrency: r.currency,
    BillingPeriodEnd: formatFocusDateTime(period.endMs),
    BillingPeriodStart: formatFocusDateTime(period.startMs),
    ChargeCategory: 'Usage',
    ChargeClass: r.correction ? 'Correction' : null,
    ChargeDescription: sku.description,
    ChargeFrequency: 'Usage-Based',
    ChargePeriodEnd: formatFocusDateTime(r.hourStartMs + HOUR_MS),
    ChargePeriodStart: formatFocusDateTime(r.hourStartMs),
    ConsumedQuantity: r.consumedQuantity,
    ConsumedUnit: sku.consumedUnit,
    ContractedCost: r.cost,
    EffectiveCost: r.cost,
    HostProviderName: optionalName(provider.hostName ?? null) ?? providerName,
    InvoiceIssuerName: providerName,
    ListCost: r.cost,
    ListUnitPrice: r.unitPrice,
    PricingQuantity: r.pricingQuantity,
    PricingUnit: sku.pricingUnit,
    ProviderName: providerName,
    PublisherName: providerName,
    RegionId: nonEmpty(r.regionId, 'region id'),
    RegionName: nonEmpty(input.regionName, `name of region ${r.regionId}`),
    ResourceId: focusResourceId(r),
    ResourceName: optionalName(input.resourceName),
    ResourceType: sku.resourceType,
    ServiceCategory: sku.serviceCategory,
    ServiceName: sku.serviceName,
    ServiceProviderName: providerName,
    ServiceSubcategory: sku.serviceSubcategory,
    SkuId: r.sku,
    SkuMeter: sku.skuMeter,
    SkuPriceDetails: sku.priceDetails ? canonicalJson(sku.priceDetails) : null,
    SkuPriceId: r.sku,
    Tags: tags,
    x_PriceVersionId: r.priceVersionId,
  };
  return FOCUS_COLUMNS.map((c) => {
    const v = cells[c.name];
    if (v === undefined) throw new Error(`no value for FOCUS column ${c.name}`);
    return v;
  });
}

/**
 * Export order, total on our rows (P6): BillingAccountId, ChargePeriodStart, ResourceId, SkuPriceId, then
 * ChargeClass (null before Correction). A SQL export must sort the same way, with `COLLATE "C"`.
 */
export function compareForExport(a: RatedRecord, b: RatedRecord): number {
  return (
    compareStrings(a.tenantId, b.tenantId) ||
    a.hourStartMs - b.hourStartMs ||
    compareStrings(focusResourceId(a), focusResourceId(b)) ||
    compareStrings(a.sku, b.sku) ||
    Number(a.correction) - Number(b.correction)
  );
}
