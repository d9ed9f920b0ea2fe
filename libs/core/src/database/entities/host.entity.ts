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
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
