import { Column, Entity, PrimaryColumn } from 'typeorm';

export const PROVIDER_NETWORK_STATUSES = ['pending', 'active', 'deleting', 'deleted', 'error'] as const;
export type ProviderNetworkStatus = (typeof PROVIDER_NETWORK_STATUSES)[number];

/** One operator address pool, first and last address inclusive. */
export interface AllocationPool {
  start: string;
  end: string;
}

/** An operator's L2 (or VLAN) network reaching outside, whose pools tenants' NICs draw addresses from. */
@Entity({ name: 'provider_networks' })
export class ProviderNetworkEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'pool_id' }) poolId: string;
  @Column('text') name: string;
  @Column('cidr') cidr: string;
  @Column('inet') gateway: string;
  @Column('jsonb', { name: 'allocation_pools' }) allocationPools: AllocationPool[];
  @Column('text', { name: 'dns_servers', array: true }) dnsServers: string[];
  @Column('text', { name: 'xapi_network_uuid', nullable: true }) xapiNetworkUuid: string | null;
  @Column('text', { name: 'pif_uuid', nullable: true }) pifUuid: string | null;
  @Column('int', { nullable: true }) vlan: number | null;
  /** The hosts' bridge carrying the uplink, resolved by the worker. */
  @Column('text', { nullable: true }) bridge: string | null;
  /** 802.1Q tag pushed at the edge; null when untagged. */
  @Column('int', { name: 'vlan_tag', nullable: true }) vlanTag: number | null;
  @Column('boolean', { name: 'created_on_pool' }) createdOnPool: boolean;
  @Column('text') visibility: 'all' | 'tenants';
  @Column('text') status: ProviderNetworkStatus;
  @Column('text', { name: 'error_reason', nullable: true }) errorReason: string | null;
  @Column({ type: 'int', name: 'flow_key', insert: false, update: false }) flowKey: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
