import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'outbox' })
export class OutboxEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column('uuid', { name: 'operation_id' }) operationId: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') queue: string;
  @Column('text', { name: 'job_name' }) jobName: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'dispatched_at', nullable: true }) dispatchedAt: Date | null;
}
