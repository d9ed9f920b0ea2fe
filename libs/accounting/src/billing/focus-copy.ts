// The FOCUS file written by Postgres itself (COPY … TO STDOUT, CSV): the same cells buildFocusRow makes, in SQL, so
// no row passes through JavaScript. Postgres's CSV quoting is csv-codec's (NULL empty, "" for '', quotes only on
// `",\r\n`), so the bytes are the same; the export tests compare both.
import type { BillingPeriod } from '../billing-period.js';
import type { Cell } from '../csv-codec.js';
import { FOCUS_COLUMNS } from '../focus-columns.js';
import { buildFocusRow, type ProviderIdentity } from '../focus-row.js';
import { SKUS, SKU_CATALOG, type Sku } from '../skus.js';

// What String.prototype.trim() removes: a name made only of these is absent (focus-row.ts optionalName).
const BLANK = String.raw`'^[ \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$'`;
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS"Z"'`;
const at = (ts: string) => `to_char(${ts} AT TIME ZONE 'UTC', ${ISO})`;
const region = `CASE WHEN r.pool_name = '' THEN r.pool_id::text ELSE r.pool_name END`;

const literal = (v: Cell) => (v === null ? 'NULL::text' : `'${v.replaceAll("'", "''")}'`);

/** One cell chosen by the row's SKU: a CASE, cheaper per row than a join (the planner nests a loop over the SKUs). */
function bySku(cell: (sku: Sku) => Cell): string {
  const values = SKUS.map(cell);
  if (values.every((v) => v === values[0])) return literal(values[0]);
  return `CASE r.sku ${SKUS.map((sku, i) => `WHEN ${literal(sku)} THEN ${literal(values[i])}`).join(' ')} END`;
}

/** The cells that vary row by row; every other column is fixed by the SKU, the provider and the period. */
const PER_ROW: Record<string, string> = {
  BilledCost: 'r.cost::text',
  ContractedCost: 'r.cost::text',
  EffectiveCost: 'r.cost::text',
  ListCost: 'r.cost::text',
  BillingAccountId: 'r.tenant_id::text',
  BillingAccountName: `CASE WHEN r.tenant_name = '' THEN r.tenant_id::text WHEN r.tenant_name ~ ${BLANK} THEN NULL ELSE r.tenant_name END`,
  BillingCurrency: 'r.currency',
  ChargeClass: `CASE WHEN r.charge_class = 'Correction' THEN 'Correction' END`,
  ChargePeriodStart: at('r.window_start'),
  ChargePeriodEnd: at(`(r.window_start + interval '1 hour')`),
  ConsumedQuantity: 'r.consumed_quantity::text',
  ListUnitPrice: 'r.unit_price::text',
  PricingQuantity: 'r.pricing_quantity::text',
  RegionId: 'r.pool_id::text',
  // A blank pool name fails the file, as buildFocusRow's RangeError does (the cast's error names the pool).
  RegionName: `CASE WHEN ${region} ~ ${BLANK} THEN ('name of region ' || r.pool_id || ' must be a non-empty string')::int::text ELSE ${region} END`,
  // An unknown SKU fails the file, as SKU_CATALOG's missing entry does in buildFocusRow.
  ResourceId: `COALESCE(${bySku((sku) => SKU_CATALOG[sku].resourceKind)}, ('unknown sku ' || r.sku)::int::text) || '/' || r.resource_id::text`,
  ResourceName: `CASE WHEN r.resource_name ~ ${BLANK} THEN NULL ELSE r.resource_name END`,
  x_PriceVersionId: 'r.price_version::text',
};

/** The fixed cells per SKU, taken from buildFocusRow itself so the two can never disagree. */
function fixedCells(period: BillingPeriod, provider: ProviderIdentity): Map<Sku, Cell[]> {
  const out = new Map<Sku, Cell[]>();
  for (const sku of SKUS) {
    const cells = buildFocusRow(
      {
        record: {
          tenantId: 't',
          regionId: 'r',
          resourceId: 'x',
          sku,
          hourStartMs: period.startMs,
          seconds: 0,
          consumedQuantity: '0',
          priceVersionId: '0',
          currency: 'XXX',
          unitPrice: '0',
          pricingQuantity: '0',
          cost: '0',
          correction: false,
        },
        period,
        tenantName: 't',
        regionName: 'r',
        resourceName: null,
        tags: null,
      },
      provider,
    );
    out.set(sku, cells);
  }
  return out;
}

/**
 * `COPY (…) TO STDOUT` of a period's FOCUS rows (header not included), in `orderBy`'s order. COPY takes no bind
 * parameters, so the few values are literals: the period is a parsed date, the tenant a uuid, the rest our own text.
 * The rows are sorted before their cells are formatted (a subquery with ORDER BY is never flattened), so the sort
 * moves the stored columns only, not the wide text of each FOCUS row.
 */
export function focusCopySql(from: string, orderBy: string, period: BillingPeriod, provider: ProviderIdentity, tenantId?: string): string {
  const fixed = fixedCells(period, provider);
  const select = FOCUS_COLUMNS.map((c, i) => PER_ROW[c.name] ?? bySku((sku) => fixed.get(sku)![i])).join(', ');
  const start = new Date(period.startMs).toISOString().slice(0, 10);
  if (tenantId !== undefined && !/^[0-9a-f-]{36}$/i.test(tenantId)) throw new RangeError(`${tenantId} is not a uuid`);
  return `COPY (
    SELECT ${select}
    FROM (SELECT r.*, pv.currency ${from}
      WHERE r.billing_period = '${start}'::date ${tenantId === undefined ? '' : `AND r.tenant_id = '${tenantId}'::uuid`}
      ORDER BY ${orderBy}) r) TO STDOUT WITH (FORMAT csv)`;
}
