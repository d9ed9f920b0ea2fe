import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '../../domain/presence.js';

export const VM_STATUSES = ['pending', 'provisioning', 'running', 'stopped', 'deleting', 'deleted', 'error'] as const;
export type VmStatus = (typeof VM_STATUSES)[number];

@Entity({ name: 'vms' })
export class VmEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  @Column('text') description: string;
  @Column('text', { array: true }) tags: string[];
  @Column('uuid', { name: 'flavor_id' }) flavorId: string;
  @Column('uuid', { name: 'image_id' }) imageId: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  @Column('text') status: VmStatus;
  /** Sizes copied from the flavor at creation, so a later flavor edit never changes a VM silently. */
  @Column('int') vcpus: number;
  @Column('int', { name: 'memory_mib' }) memoryMiB: number;
  @Column('int', { name: 'disk_gib' }) diskGiB: number;
  /** What it may grow to while running (XAPI's VCPUs_max, memory_static_max); null: no more than its size. */
  @Column('int', { name: 'live_max_vcpus', nullable: true }) liveMaxVcpus: number | null;
  @Column('int', { name: 'live_max_memory_mib', nullable: true }) liveMaxMemoryMiB: number | null;
  @Column('text', { name: 'xapi_uuid', nullable: true }) xapiUuid: string | null;
  /** Set only by ResourceLifecycle: whether it is on the pool, billed, and holds quota and addresses. */
  @Column({ type: 'text', insert: false }) presence: Presence;
  @Column('text', { name: 'host_uuid', nullable: true }) hostUuid: string | null;
  @Column('text', { name: 'power_state', nullable: true }) powerState: string | null;
  @Column('text', { name: 'error_reason', nullable: true }) errorReason: string | null;
  @Column('uuid', { name: 'server_group_id', nullable: true }) serverGroupId: string | null;
  /** The host the scheduler chose (our host id), held until XAPI shows the VM resident somewhere. */
  @Column('uuid', { name: 'placed_host_id', nullable: true }) placedHostId: string | null;
  /** Whether the guest can hot-plug disks, as its agent last reported (the watcher records it); null while unknown. */
  @Column({ type: 'boolean', name: 'hotplug_vbd', nullable: true, insert: false }) hotplugVbd: boolean | null;
  /** Started again on another host when its host dies (else stopped, errorReason host_failed); the flavor's default at insert. */
  @Column('boolean') restart: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
