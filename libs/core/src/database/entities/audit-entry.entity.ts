import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ApiKeyRole } from './api-key.entity.js';

const msOrNull = { to: (v: number | null) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

/** One state-changing request or console session: who (key, role, tenant), what (method, route, resource), when, and the result. */
@Entity({ name: 'audit_log' })
export class AuditEntryEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  /** The tenant the request acted on (its own for tenant keys; the named one for operators). */
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId: string | null;
  /** Null only when authentication itself failed (401). */
  @Column('uuid', { name: 'api_key_id', nullable: true }) apiKeyId: string | null;
  /** The key's name when the request was made (audit rows outlive keys). */
  @Column('text', { name: 'api_key_name', nullable: true }) apiKeyName: string | null;
  @Column('text', { nullable: true }) role: ApiKeyRole | null;
  @Column('text') method: string;
  /** The route template, e.g. `/v1/vms/:id`. */
  @Column('text') route: string;
  @Column('text') path: string;
  @Column('uuid', { name: 'resource_id', nullable: true }) resourceId: string | null;
  @Column('smallint') status: number;
  /** `unknown` when the client went away before the answer was sent. */
  @Column('text') outcome: 'succeeded' | 'failed' | 'unknown';
  @Column('text', { name: 'error_code', nullable: true }) errorCode: string | null;
  @Column('text', { name: 'request_id' }) requestId: string;
  /** Digests of secret request fields (`userDataSha256`), never the fields themselves */
  @Column('jsonb', { nullable: true }) details?: Record<string, string> | null;
  /** How long a console session lasted (method CONSOLE); null for requests. */
  @Column('bigint', { name: 'duration_ms', nullable: true, transformer: msOrNull }) durationMs: number | null;
}
