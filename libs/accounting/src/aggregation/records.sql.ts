// The SQL that turns intervals into rated hourly records; shared by the forward pass and by recomputation.

/**
 * Hourly records for windows in [$1, $2), from intervals of every resource ($3 null) or of the given ones.
 * Interval bounds are whole seconds, so `seconds` is an exact integer; one row per (resource, sku, hour) even when
 * a resize splits the hour. Rated with the price version in force at the window's start; cost = price × quantity,
 * exactly (numeric), so FOCUS's ListUnitPrice × PricingQuantity = ListCost holds on every row.
 */
export const freshRecords = (intervals: string) => `
  WITH parts AS (
    SELECT i.resource_id, i.sku, i.tenant_id, i.pool_id, i.resource_type, i.resource_name, i.size, lower(i.during) AS since, ws,
      extract(epoch FROM LEAST(COALESCE(upper(i.during), 'infinity'), ws + interval '1 hour') - GREATEST(lower(i.during), ws))::int AS secs
    FROM ${intervals} i
    CROSS JOIN LATERAL generate_series(
      date_trunc('hour', GREATEST(lower(i.during), $1::timestamptz)),
      date_trunc('hour', LEAST(COALESCE(upper(i.during), $2::timestamptz), $2::timestamptz) - interval '1 microsecond'),
      interval '1 hour') AS ws
    WHERE i.during && tstzrange($1::timestamptz, $2::timestamptz) AND ($3::uuid[] IS NULL OR i.resource_id = ANY($3::uuid[]))
  ), windows AS (
    -- No ordered aggregate, so the planner may hash: the latest part's name is looked up only when a resize split the hour.
    SELECT resource_id, sku, ws, min(tenant_id::text)::uuid AS tenant_id, min(pool_id::text)::uuid AS pool_id, min(resource_type) AS resource_type,
      count(*) AS parts, min(resource_name) AS only_name, max(since) AS last_since, sum(secs)::int AS seconds, sum(secs * size) AS consumed
    FROM parts WHERE secs > 0 GROUP BY resource_id, sku, ws
  ), hours AS MATERIALIZED (
    -- The price version and period of each hour, once per hour rather than once per record.
    SELECT h, pv, (date_trunc('month', h AT TIME ZONE 'UTC'))::date AS billing_period
    FROM generate_series(date_trunc('hour', $1::timestamptz), $2::timestamptz - interval '1 microsecond', interval '1 hour') h
    CROSS JOIN LATERAL (SELECT id AS pv FROM price_versions WHERE effective_from <= h ORDER BY effective_from DESC LIMIT 1) v
  ), rated AS (
    SELECT w.*, hr.pv, hr.billing_period, COALESCE(pi.unit_price, 0)::numeric(20, 6) AS unit_price,
      round_half_even(w.consumed / 3600, 6)::numeric(20, 6) AS pricing_quantity
    FROM windows w JOIN hours hr ON hr.h = w.ws
    LEFT JOIN price_items pi ON pi.version_id = hr.pv AND pi.sku = w.sku
  )
  SELECT w.resource_id, w.sku, w.ws AS window_start, w.billing_period,
    w.tenant_id, w.pool_id, w.resource_type,
    CASE WHEN w.parts = 1 THEN w.only_name
      ELSE (SELECT j.resource_name FROM ${intervals} j WHERE j.resource_id = w.resource_id AND j.sku = w.sku AND lower(j.during) = w.last_since) END AS resource_name,
    COALESCE(t.name, '') AS tenant_name, COALESCE(p.name, '') AS pool_name,
    w.seconds, w.consumed::numeric(38, 10) AS consumed_quantity, w.pricing_quantity, w.pv AS price_version, w.unit_price,
    (w.unit_price * w.pricing_quantity)::numeric(38, 12) AS cost
  FROM rated w
  LEFT JOIN tenants t ON t.id = w.tenant_id
  LEFT JOIN pools p ON p.id = w.pool_id`;
export const FRESH_RECORDS = freshRecords('usage_intervals');

export const RECORD_COLUMNS = `resource_id, sku, window_start, billing_period, tenant_id, pool_id, resource_type, resource_name,
  tenant_name, pool_name, seconds, consumed_quantity, pricing_quantity, price_version, unit_price, cost`;
