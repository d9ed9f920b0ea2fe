import { Column, Entity, PrimaryColumn } from 'typeorm';

export const SERVER_GROUP_POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity'] as const;
export type ServerGroupPolicy = (typeof SERVER_GROUP_POLICIES)[number];

/** A tenant's placement rule over its members: apart on hosts (hard or soft), or together on one. */
@Entity({ name: 'server_groups' })
export class ServerGroupEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  @Column('text') policy: ServerGroupPolicy;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
