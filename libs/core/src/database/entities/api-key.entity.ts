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
  /** After this instant the key answers 401 (null: never). */
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  /** Refreshed at most once a minute per key (a write per request would cost more than the request). */
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  /** The key this one replaced by rotation (that one works until it is revoked). */
  @Column('uuid', { name: 'rotated_from', nullable: true }) rotatedFrom: string | null;
  /** The identity of BOOTSTRAP_OPERATOR_TOKEN: one row, never matched by a generated token. */
  @Column('boolean') bootstrap: boolean;
}
