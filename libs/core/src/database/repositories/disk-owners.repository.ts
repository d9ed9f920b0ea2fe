import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Presence } from '../../domain/presence.js';
import { rows } from '../sql.js';

/** A row that may own disks on the pool: its presence, its XAPI uuid, and whether an operation is changing it now. */
export interface DiskOwner {
  id: string;
  tenantId: string;
  presence: Presence;
  xapiUuid: string | null;
  /** An operation on it (or, for a snapshot, on its VM or volume, where creates and reverts run) is queued or running. */
  busy: boolean;
}

const ACTIVE = (col: string) => `EXISTS (SELECT 1 FROM operations o WHERE o.resource_id = ${col} AND o.status IN ('queued', 'running'))`;

/** Cross-tenant (the storage sweep's): what owns the VDIs and snapshot VMs we tag, one pool at a time. */
@Injectable()
export class DiskOwnersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async inPool(poolId: string): Promise<{ vms: Map<string, DiskOwner>; volumes: Map<string, DiskOwner>; snapshots: Map<string, DiskOwner> }> {
    const q = (table: string, busy: string) =>
      rows<DiskOwner>(
        this.ds.manager,
        `SELECT t.id, t.tenant_id AS "tenantId", t.presence, t.xapi_uuid AS "xapiUuid", (${busy}) AS busy FROM ${table} t WHERE t.pool_id = $1`,
        [poolId],
      );
    const byId = (list: DiskOwner[]) => new Map(list.map((o) => [o.id, o]));
    return {
      vms: byId(await q('vms', ACTIVE('t.id'))),
      volumes: byId(await q('volumes', ACTIVE('t.id'))),
      snapshots: byId(await q('snapshots', `${ACTIVE('t.id')} OR ${ACTIVE('coalesce(t.vm_id, t.volume_id)')}`)),
    };
  }
}
