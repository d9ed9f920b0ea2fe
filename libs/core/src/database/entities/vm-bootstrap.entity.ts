import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What a VM's config drive is built from, fixed at creation (the drive is rebuilt from it when NICs change). */
@Entity({ name: 'vm_bootstrap' })
export class VmBootstrapEntity {
  @PrimaryColumn('uuid', { name: 'vm_id' }) vmId: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') hostname: string;
  @Column('uuid', { name: 'keypair_ids', array: true }) keypairIds: string[];
  /** The keys' authorized_keys lines, copied: a keypair deleted later leaves the guest as it was made */
  @Column('text', { name: 'ssh_keys', array: true }) sshKeys: string[];
  /** SecretBox(USER_DATA_KEY) of the tenant's user-data; never returned or logged */
  @Column('bytea', { name: 'user_data_sealed', nullable: true }) userDataSealed: Buffer | null;
  @Column('text', { name: 'user_data_sha256', nullable: true }) userDataSha256: string | null;
}
