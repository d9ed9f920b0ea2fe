import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Presence } from '../../domain/presence.js';

export const NETWORK_STATUSES = ['pending', 'active', 'deleting', 'deleted', 'error'] as const;
export type NetworkStatus = (typeof NETWORK_STATUSES)[number];

@Entity({ name: 'networks' })
export class NetworkEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  @Column('text') name: string;
  @Column('text') description: string;
  @Column('text', { array: true }) tags: string[];
  @Column('cidr') cidr: string;
  /** VXLAN network identifier between hosts; unique among live networks. */
  @Column('int') vni: number;
  @Column('text') status: NetworkStatus;
  @Column('text', { name: 'xapi_uuid', nullable: true }) xapiUuid: string | null;
  /** Set only by ResourceLifecycle: whether it is on the pool, billed, and holds quota and addresses. */
  @Column({ type: 'text', insert: false }) presence: Presence;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
