import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where a NIC is in its life: being added by a worker, on the VM, or being removed (its address held until it is gone). */
export type VmNicStatus = 'attaching' | 'attached' | 'detaching';

/** One NIC of a VM: its address on one tenant network, held until the NIC or the VM is gone. */
@Entity({ name: 'vm_nics' })
export class VmNicEntity {
  @Column('uuid', { unique: true }) id: string;
  @PrimaryColumn('uuid', { name: 'vm_id' }) vmId: string;
  @PrimaryColumn('int') device: number;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('uuid', { name: 'network_id' }) networkId: string;
  @Column('macaddr') mac: string;
  @Column('inet') ip: string;
  @Column('text') status: VmNicStatus;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
