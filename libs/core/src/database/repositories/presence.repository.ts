import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Presence } from '../../domain/presence.js';
import { affected, one } from '../sql.js';

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
   * Locks the row and answers its presence; with `settledOnly`, null unless it is running or stopped and no
   * operation is changing it (what the reconciler may judge without fighting a saga).
   */
  async lock(tx: EntityManager, kind: PresenceKind, tenantId: string, id: string, settledOnly = false): Promise<Presence | null> {
    const settled = settledOnly
      ? `AND r.status IN ('running', 'stopped') AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = r.id AND o.status IN ('queued', 'running'))`
      : '';
    const row = await one<{ presence: Presence }>(
      tx,
      `SELECT r.presence FROM ${TABLE[kind]} r WHERE r.tenant_id = $1 AND r.id = $2 ${settled} FOR UPDATE OF r`,
      [tenantId, id],
    );
    return row?.presence ?? null;
  }

  async write(tx: EntityManager, kind: PresenceKind, tenantId: string, id: string, presence: Presence, patch: PresencePatch): Promise<void> {
    const entries = Object.entries(patch).filter(([k]) => COLUMNS[k]);
    const sets = entries.map(([k], i) => `${COLUMNS[k]} = $${i + 4}`);
    await affected(tx, `UPDATE ${TABLE[kind]} SET presence = $3, ${[...sets, 'updated_at = now()'].join(', ')} WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
      presence,
      ...entries.map(([, v]) => v),
    ]);
  }
}
