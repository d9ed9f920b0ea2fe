import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '../../domain/presence.js';

export const SNAPSHOT_STATUSES = ['pending', 'available', 'reverting', 'deleting', 'deleted', 'error'] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/** A point-in-time copy of a VM (its boot disk and sizes) or of one volume, held on the pool until deleted. */
@Entity({ name: 'snapshots' })
export class SnapshotEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  /** Exactly one of vmId and volumeId is set: what it is a snapshot of. */
  @Column('uuid', { name: 'vm_id', nullable: true }) vmId: string | null;
  @Column('uuid', { name: 'volume_id', nullable: true }) volumeId: string | null;
  @Column('text') name: string;
  @Column('text') status: SnapshotStatus;
  /** What it holds of the snapshotGiB quota and is billed for: the disks it copies. */
  @Column('int', { name: 'size_gib' }) sizeGiB: number;
  /** The VM's sizes when it was taken (a revert brings them back); null for a volume's snapshot. */
  @Column('uuid', { name: 'flavor_id', nullable: true }) flavorId: string | null;
  @Column('int', { nullable: true }) vcpus: number | null;
  @Column('int', { name: 'memory_mib', nullable: true }) memoryMiB: number | null;
  @Column('int', { name: 'disk_gib', nullable: true }) diskGiB: number | null;
  @Column('int', { name: 'live_max_vcpus', nullable: true }) liveMaxVcpus: number | null;
  @Column('int', { name: 'live_max_memory_mib', nullable: true }) liveMaxMemoryMiB: number | null;
  /** The snapshot VM's uuid (a VM's) or the snapshot VDI's (a volume's). */
  @Column('text', { name: 'xapi_uuid', nullable: true }) xapiUuid: string | null;
  /** Set only by ResourceLifecycle: whether it is on the pool, billed, and holds quota. */
  @Column({ type: 'text', insert: false }) presence: Presence;
  @Column('text', { name: 'error_reason', nullable: true }) errorReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
