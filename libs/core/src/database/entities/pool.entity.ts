import { Column, Entity, PrimaryColumn } from 'typeorm';

export const POOL_STATUSES = ['pending', 'connected', 'error', 'identity_mismatch'] as const;
export type PoolStatus = (typeof POOL_STATUSES)[number];

@Entity({ name: 'pools' })
export class PoolEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') url: string;
  @Column('text') username: string;
  /** AES-GCM ciphertext; null for the pool configured from the environment (XAPI_*). */
  @Column('bytea', { name: 'password_enc', nullable: true }) passwordEnc: Buffer | null;
  @Column('boolean', { name: 'from_env' }) fromEnv: boolean;
  @Column('text') status: PoolStatus;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('timestamptz', { name: 'last_seen_at', nullable: true }) lastSeenAt: Date | null;
  /** The pool object's uuid at first contact: the identity every later connection must show. */
  @Column('text', { name: 'xapi_pool_uuid', nullable: true }) xapiPoolUuid: string | null;
  /** What the URL answered instead, while the pool is held (status identity_mismatch). */
  @Column('text', { name: 'observed_xapi_pool_uuid', nullable: true }) observedXapiPoolUuid: string | null;
  /** A CA (PEM) the pool's certificate must chain to, instead of the system roots; never shown back. */
  @Column('text', { name: 'tls_ca_pem', nullable: true }) tlsCaPem: string | null;
  /** Or the SHA-256 fingerprint of the pool's own certificate (`AB:CD:…`), trusted alone. */
  @Column('text', { name: 'tls_fingerprint', nullable: true }) tlsFingerprint: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
