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
  /** Where the pool is, for `POST /v1/vms {region, zone}`; null: in none (only unpinned creates land there). */
  @Column('text', { nullable: true }) region: string | null;
  @Column('text', { nullable: true }) zone: string | null;
  /** The operator's preference among pools (a factor on every host's score; 0 = only when nothing else fits). */
  @Column('real') weight: number;
  /** Allocation over physical: vCPUs per core and memory per byte the scheduler may promise. */
  @Column('real', { name: 'cpu_allocation_ratio' }) cpuAllocationRatio: number;
  @Column('real', { name: 'memory_allocation_ratio' }) memoryAllocationRatio: number;
  /** Free bytes on the pool's default SR at the last sync; null = not known yet. */
  @Column('bigint', {
    name: 'sr_free_bytes',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) },
  })
  srFreeBytes: number | null;
  /** How long a host's metrics stay not live before it is declared dead and its VMs restarted elsewhere. */
  @Column('int', { name: 'host_failure_grace_seconds' }) hostFailureGraceSeconds: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
