import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A tenant's security group: a named set of rules its NICs are filtered by (issue 16). */
@Entity({ name: 'security_groups' })
export class SecurityGroupEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  @Column('text') description: string;
  /** The tenant's `default` group (one each): new NICs join it when none is named. */
  @Column('boolean', { name: 'is_default' }) isDefault: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}

export const SG_DIRECTIONS = ['ingress', 'egress'] as const;
export const SG_PROTOCOLS = ['tcp', 'udp', 'icmp', 'any'] as const;

/** One rule of a group (raw SQL rows, not a TypeORM entity). */
export interface SecurityGroupRuleRow {
  id: string;
  groupId: string;
  direction: (typeof SG_DIRECTIONS)[number];
  protocol: (typeof SG_PROTOCOLS)[number];
  portMin: number | null;
  portMax: number | null;
  remoteCidr: string | null;
  remoteGroupId: string | null;
  /** False for the default group's seeded rules: they hold no quota. */
  charged: boolean;
  createdAt: Date;
}
