import { Column, Entity, PrimaryColumn } from 'typeorm';

const bigintAsNumber = { to: (v: number) => v, from: (v: string) => Number(v) };

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
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
