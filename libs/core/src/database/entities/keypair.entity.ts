import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A tenant's SSH public key, put into the guests it is given to at creation. */
@Entity({ name: 'keypairs' })
export class KeypairEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') name: string;
  /** The canonical authorized_keys line (type, base64, comment) */
  @Column('text', { name: 'public_key' }) publicKey: string;
  @Column('text') fingerprint: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
