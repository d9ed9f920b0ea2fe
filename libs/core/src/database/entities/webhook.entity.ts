import { Column, Entity, PrimaryColumn } from 'typeorm';

export const WEBHOOK_STATUSES = ['active', 'failed'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** A tenant's receiver of events: deliveries go on after `cursor` in event order, signed with its secret. */
@Entity({ name: 'webhooks' })
export class WebhookEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId: string;
  @Column('text') url: string;
  /** Event type prefixes; empty: every event. */
  @Column('text', { array: true }) events: string[];
  /** SecretBox(USER_DATA_KEY) of the signing secret; never returned after the create's answer */
  @Column('bytea', { name: 'secret_sealed', nullable: true }) secretSealed: Buffer | null;
  /** A secret stored before sealing (migration 1764000035000), until the API seals it at boot */
  @Column('text', { nullable: true }) secret: string | null;
  @Column('text') status: WebhookStatus;
  /** The last event id delivered or skipped by the filter (bigint, as text). */
  @Column('bigint') cursor: string;
  @Column('int') attempts: number;
  @Column('timestamptz', { name: 'next_attempt_at', nullable: true }) nextAttemptAt: Date | null;
  @Column('timestamptz', { name: 'failing_since', nullable: true }) failingSince: Date | null;
  @Column('text', { name: 'last_error', nullable: true }) lastError: string | null;
  @Column('int', { name: 'last_status_code', nullable: true }) lastStatusCode: number | null;
  @Column('timestamptz', { name: 'last_delivered_at', nullable: true }) lastDeliveredAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
