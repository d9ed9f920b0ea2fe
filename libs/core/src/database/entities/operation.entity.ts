import { Column, Entity, PrimaryColumn } from 'typeorm';

export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

@Entity({ name: 'operations' })
export class OperationEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') kind: string;
  @Column('text') status: OperationStatus;
  @Column('text', { name: 'resource_type' }) resourceType: string;
  @Column('uuid', { name: 'resource_id' }) resourceId: string;
  /** Last saga step completed, and what it made (XAPI uuids), so a retried job resumes. */
  @Column('text', { nullable: true }) step: string | null;
  @Column('jsonb') checkpoint: Record<string, unknown>;
  /** The scheduler's decision for this operation (where, and what each filter and weigher said); null: none taken. */
  @Column('jsonb', { nullable: true }) placement: Record<string, unknown> | null;
  @Column('text', { name: 'error_code', nullable: true }) errorCode: string | null;
  @Column('text', { name: 'error_detail', nullable: true }) errorDetail: string | null;
  @Column('text', { name: 'request_id', nullable: true }) requestId: string | null;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
}
