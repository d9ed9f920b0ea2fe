import type { EventRecord } from '../database/repositories/event.repository.js';

/** An event as clients see it, on the stream and in webhook deliveries alike. */
export function eventBody(e: EventRecord): Record<string, unknown> {
  return {
    id: e.id,
    type: e.type,
    tenantId: e.tenantId,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    createdAt: new Date(e.createdAt).toISOString(),
    data: e.data,
  };
}

/** Whether a type passes a list of prefixes (empty: everything passes). */
export function matchesTypes(prefixes: readonly string[], type: string): boolean {
  return !prefixes.length || prefixes.some((p) => type.startsWith(p));
}
