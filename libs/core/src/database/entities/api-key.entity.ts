import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ApiKeyRole = 'operator' | 'admin' | 'member';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  @Column('text') role: ApiKeyRole;
  @Column('text') name: string;
  /** Public lookup part of the token; the secret part is only stored hashed. */
  @Column('text') prefix: string;
  @Column('bytea', { name: 'secret_hash' }) secretHash: Buffer;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
}
