import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

export const HOST_MAINTENANCE = ['none', 'draining', 'maintenance'] as const;
export type HostMaintenance = (typeof HOST_MAINTENANCE)[number];
export interface MaintenanceBlocker {
  vmId: string | null;
  xapiVmUuid: string;
  code: string;
  params: string[];
}

/** A pool's host as the worker last saw it through XAPI. */
@Entity({ name: 'hosts' })
export class HostEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  @Column('text', { name: 'xapi_uuid' }) xapiUuid: string;
  @Column('text') name: string;
  @Column('text') address: string;
  @Column('boolean') enabled: boolean;
  @Column('boolean') live: boolean;
  @Column('bigint', { name: 'memory_total_bytes', transformer: bigintAsNumber }) memoryTotalBytes: number;
  @Column('bigint', { name: 'memory_free_bytes', transformer: bigintAsNumber }) memoryFreeBytes: number;
  @Column('int', { name: 'cpu_count' }) cpuCount: number;
  /** Where the worker reaches the host's OVS (from host other_config; null = data plane not managed here). */
  @Column('text', { name: 'ovsdb_target', nullable: true }) ovsdbTarget: string | null;
  @Column('text', { name: 'openflow_target', nullable: true }) openflowTarget: string | null;
  @Column('text', { nullable: true }) bridge: string | null;
  @Column('inet', { name: 'tunnel_ip', nullable: true }) tunnelIp: string | null;
  /** The operator's maintenance: draining while its VMs leave, maintenance once empty; set only through the API. */
  @Column('text') maintenance: HostMaintenance;
  /** While draining: the VMs that cannot leave, with XAPI's reason. */
  @Column('jsonb', { name: 'maintenance_blockers' }) maintenanceBlockers: MaintenanceBlocker[];
  /** The worker disabled it on XAPI for the maintenance, and enables it again once it ends. */
  @Column('boolean', { name: 'maintenance_disabled' }) maintenanceDisabled: boolean;
  /** When the current maintenance began: a migration that failed since is not tried again until the operator asks anew. */
  @Column('timestamptz', { name: 'maintenance_since', nullable: true }) maintenanceSince: Date | null;
  /** When the failure detector first saw its metrics not live (null: live); past the pool's grace it is declared dead. */
  @Column('timestamptz', { name: 'not_live_since', nullable: true }) notLiveSince: Date | null;
  /** When it was declared dead (the pool agreeing: master answering, metrics not live); null once it is live again. */
  @Column('timestamptz', { name: 'failed_at', nullable: true }) failedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
