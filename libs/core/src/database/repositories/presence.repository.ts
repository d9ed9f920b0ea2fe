import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Presence } from '../../domain/presence.js';
import { one } from '../sql.js';

export type PresenceKind = 'vm' | 'network' | 'volume' | 'snapshot' | 'image';
const TABLE: Record<PresenceKind, string> = { vm: 'vms', network: 'networks', volume: 'volumes', snapshot: 'snapshots', image: 'images' };
// The row columns a lifecycle change may write beside the presence, by property name.
const COLUMNS: Record<string, string> = {
  status: 'status',
  errorReason: 'error_reason',
  powerState: 'power_state',
  hostUuid: 'host_uuid',
  xapiUuid: 'xapi_uuid',
};
export type PresencePatch = Partial<Record<'status' | 'errorReason' | 'powerState' | 'hostUuid' | 'xapiUuid', string | null>>;

/** Presence rows of VMs, networks, volumes and tenants' images; written only through ResourceLifecycle. The transaction first, then the tenant id. */
@Injectable()
export class PresenceRepository {
  /**
   * Locks the row and moves it to `next` (a released row stays released) with `patch`, in one statement; answers the
   * presence it had, or null when the row is missing or, with `settledOnly`, unless it is running or stopped and no
   * operation is changing it (what the reconciler may judge without fighting a saga).
   */
  async advance(
    tx: EntityManager,
    target: { kind: PresenceKind; tenantId: string; id: string },
    next: Presence,
    patch: PresencePatch,
    settledOnly = false,
  ): Promise<Presence | null> {
    const settled = settledOnly
      ? `AND r.status IN ('running', 'stopped') AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = r.id AND o.status IN ('queued', 'running'))`
      : '';
    const entries = Object.entries(patch).filter(([k]) => COLUMNS[k]);
    const sets = entries.map(([k], i) => `${COLUMNS[k]} = $${i + 4}`);
    const table = TABLE[target.kind];
    const row = await one<{ presence: Presence }>(
      tx,
      `UPDATE ${table} t SET presence = CASE WHEN old.presence = 'released' THEN 'released' ELSE $3 END, ${[...sets, 'updated_at = now()'].join(', ')}
       FROM (SELECT r.id, r.presence FROM ${table} r WHERE r.tenant_id = $1 AND r.id = $2 ${settled} FOR UPDATE OF r) AS old
       WHERE t.id = old.id RETURNING old.presence`,
      [target.tenantId, target.id, next, ...entries.map(([, v]) => v)],
    );
    return row?.presence ?? null;
  }
}
