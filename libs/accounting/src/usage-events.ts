import { canonicalJson, compareStrings } from '@xenplane/core';
import { canonicalDecimal, isPlainDecimal, normalizeDecimal, parseDecimal, pow10 } from './decimal.js';
import { isSku, SKU_CATALOG, type Sku } from './skus.js';

export const USAGE_EVENT_KINDS = ['start', 'stop', 'change'] as const;
export type UsageEventKind = (typeof USAGE_EVENT_KINDS)[number];

/** Most fractional digits a size may have: enough for any whole MiB in GiB (1/1024 = 0.0009765625). */
export const QUANTITY_SCALE = 10;

/**
 * One append-only usage fact (accounting.md §2.4): a resource started, stopped, or changed size for one SKU.
 * `(source, sourceKey)` is the natural key; replays with the same key change nothing.
 */
export interface UsageEvent {
  /** Who saw it: e.g. `control-plane` (lifecycle transition) or `xapi` (reconciler observation). */
  readonly source: string;
  /** Deterministic per source: operation id + transition, or a hash of (vm uuid, power_state, XAPI time). */
  readonly sourceKey: string;
  readonly resourceId: string;
  readonly tenantId: string;
  /** The pool the resource lives in (FOCUS RegionId). */
  readonly regionId: string;
  readonly sku: Sku;
  readonly kind: UsageEventKind;
  /** Size while active as exact decimal text: vCPUs, GiB (see mibToGib), or "1" for vm-hour and network-hour. Ignored on stop. */
  readonly quantity: string;
  /** When it happened, ms since the epoch, UTC (the DB clock at the transition, or the observation time). */
  readonly occurredAtMs: number;
}

const ID_FIELDS = ['source', 'sourceKey', 'resourceId', 'tenantId', 'regionId'] as const;

/** Problems that make an event unusable; empty when it is valid. Tolerates any shape (rows may come from JSON). */
export function validateUsageEvent(event: UsageEvent): string[] {
  const e = event as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const f of ID_FIELDS) {
    if (typeof e[f] !== 'string' || e[f].length === 0) problems.push(`${f} must be a non-empty string`);
  }
  if (!isSku(e.sku)) problems.push(`sku ${String(e.sku)} is unknown`);
  if (!(USAGE_EVENT_KINDS as readonly unknown[]).includes(e.kind)) problems.push(`kind ${String(e.kind)} is unknown`);
  if (!Number.isSafeInteger(e.occurredAtMs) || (e.occurredAtMs as number) < 0) problems.push('occurredAtMs must be a non-negative integer');
  if (!isPlainDecimal(e.quantity)) {
    problems.push(`quantity ${String(e.quantity)} is not a plain decimal`);
  } else if (e.kind !== 'stop') {
    const q = parseDecimal(e.quantity);
    if (q.units <= 0n) problems.push('quantity must be positive');
    else if (normalizeDecimal(q).scale > QUANTITY_SCALE) {
      problems.push(`quantity has more than ${QUANTITY_SCALE} decimal places`);
    } else if (isSku(e.sku) && SKU_CATALOG[e.sku].unitSize && canonicalDecimal(q) !== '1') {
      problems.push(`${e.sku} quantity must be 1`);
    }
  }
  return problems;
}

/** The natural key as one string. */
export function usageEventKey(event: UsageEvent): string {
  return JSON.stringify([event.source, event.sourceKey]);
}

/** One text per event content (`2` and `2.0` are the same size), to detect and settle conflicting duplicates. */
export function canonicalUsageEvent(event: UsageEvent): string {
  const quantity = isPlainDecimal(event.quantity) ? canonicalDecimal(parseDecimal(event.quantity)) : event.quantity;
  return canonicalJson({ ...event, quantity });
}

// At one instant a stop applies before a start (a reboot is contiguous, not a double start), and a change
// applies last (a size set as the VM starts is the size it runs with).
const KIND_RANK: Record<UsageEventKind, number> = { stop: 0, start: 1, change: 2 };

/** Total order used to replay a resource's events: time, then kind rank, then natural key. */
export function compareUsageEvents(a: UsageEvent, b: UsageEvent): number {
  return (
    a.occurredAtMs - b.occurredAtMs ||
    KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
    compareStrings(a.source, b.source) ||
    compareStrings(a.sourceKey, b.sourceKey) ||
    compareStrings(canonicalUsageEvent(a), canonicalUsageEvent(b))
  );
}

/**
 * Event times are floored to whole seconds before intervals are cut, so every bound is a whole second and
 * seconds are conserved exactly (P1); the order of events within a second still follows the exact times.
 */
export function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** Exact GiB of a whole number of MiB (memory flavors are in MiB; the SKU is per GiB). */
export function mibToGib(mib: number): string {
  if (!Number.isSafeInteger(mib) || mib < 0) throw new RangeError(`${mib} MiB is not a non-negative integer`);
  // 1024 divides 10^10, so the quotient at scale 10 is exact.
  return canonicalDecimal({ units: (BigInt(mib) * pow10(QUANTITY_SCALE)) / 1024n, scale: QUANTITY_SCALE });
}
