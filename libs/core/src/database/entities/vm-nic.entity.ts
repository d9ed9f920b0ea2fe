import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One NIC of a VM: its address on one tenant network, held until the VM is gone. */
@Entity({ name: 'vm_nics' })
export class VmNicEntity {
  @PrimaryColumn('uuid', { name: 'vm_id' }) vmId: string;
  @PrimaryColumn('int') device: number;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'network_id' }) networkId: string;
  @Column('macaddr') mac: string;
  @Column('inet') ip: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
