/**
 * A resource's presence: the one state that says whether it exists on the pool, is billed, holds quota and holds
 * addresses. The database has the same table (`resource_presences`, checked against this one by a test); the
 * metering triggers and the quota recount read it there, and only ResourceLifecycle writes a presence.
 */
export const PRESENCES = ['requested', 'present', 'unconfirmed', 'released'] as const;
export type Presence = (typeof PRESENCES)[number];

export interface PresenceRules {
  /** XAPI holds (or may hold) the object. */
  onPool: boolean;
  /** Metered: a VM's disk (and, while running, its compute), a network. */
  billable: boolean;
  holdsQuota: boolean;
  holdsAddresses: boolean;
}

export const PRESENCE_RULES: Record<Presence, PresenceRules> = {
  // Accepted, nothing made yet: the request's quota and addresses are reserved, nothing is billed.
  requested: { onPool: false, billable: false, holdsQuota: true, holdsAddresses: true },
  present: { onPool: true, billable: true, holdsQuota: true, holdsAddresses: true },
  // A failure that could not confirm what the pool holds: keep what is reserved until a delete settles it, bill nothing.
  unconfirmed: { onPool: true, billable: false, holdsQuota: true, holdsAddresses: true },
  released: { onPool: false, billable: false, holdsQuota: false, holdsAddresses: false },
};

export type PresenceEvent = 'made' | 'gone' | 'unconfirmed';

/** The only transitions there are; released is final (an object that reappears is an orphan, not a revival). */
export function nextPresence(current: Presence, event: PresenceEvent): Presence {
  if (current === 'released') return 'released';
  if (event === 'gone') return 'released';
  if (event === 'made') return 'present';
  return 'unconfirmed';
}
