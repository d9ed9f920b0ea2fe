import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'pools' })
export class PoolEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text') url: string;
  @Column('text') username: string;
  /** AES-GCM ciphertext; null for the pool configured from the environment (XAPI_*). */
  @Column('bytea', { name: 'password_enc', nullable: true }) passwordEnc: Buffer | null;
  @Column('boolean', { name: 'from_env' }) fromEnv: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
