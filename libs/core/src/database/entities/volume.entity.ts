import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '../../domain/presence.js';

export const VOLUME_STATUSES = ['pending', 'available', 'attaching', 'in-use', 'detaching', 'resizing', 'deleting', 'deleted', 'error'] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number];

/** A tenant's block volume: a VDI of its own that outlives any VM it is attached to. */
@Entity({ name: 'volumes' })
export class VolumeEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  /** null: the pool's default SR. */
  @Column('uuid', { name: 'type_id', nullable: true }) typeId: string | null;
  @Column('text') name: string;
  @Column('int', { name: 'size_gib' }) sizeGiB: number;
  @Column('text') status: VolumeStatus;
  @Column('uuid', { name: 'vm_id', nullable: true }) vmId: string | null;
  @Column('text', { name: 'xapi_uuid', nullable: true }) xapiUuid: string | null;
  @Column('text', { name: 'vbd_uuid', nullable: true }) vbdUuid: string | null;
  @Column('text', { nullable: true }) device: string | null;
  /** The volume snapshot it was restored from (its content copied in by the create); null for an empty volume. */
  @Column('uuid', { name: 'source_snapshot_id', nullable: true }) sourceSnapshotId: string | null;
  /** Set only by ResourceLifecycle: whether it is on the pool, billed, and holds quota. */
  @Column({ type: 'text', insert: false }) presence: Presence;
  @Column('text', { name: 'error_reason', nullable: true }) errorReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** An operator's volume type: a name tenants choose, mapped to one SR of one pool. */
@Entity({ name: 'volume_types' })
export class VolumeTypeEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  @Column('text') name: string;
  @Column('text', { name: 'sr_uuid' }) srUuid: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
