import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import type { AuditEntryEntity } from '@xenplane/core';
import { IsInstant } from '../common/instant.decorator.js';
import { TenantPageQueryDto } from '../common/query.dto.js';

export class AuditQueryDto extends TenantPageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'entries at or after this instant' })
  @IsOptional()
  @IsInstant()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'entries before this instant' })
  @IsOptional()
  @IsInstant()
  until?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'entries made with this API key (apiKeyId)' })
  @IsOptional()
  @IsUUID()
  actor?: string;

  @ApiPropertyOptional({ example: '/v1/vms/:id', maxLength: 200, pattern: '^/[A-Za-z0-9/:._-]*$', description: 'entries of this route template' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^\/[A-Za-z0-9/:._-]*$/, { message: 'route must be a route template, e.g. /v1/vms/:id' })
  route?: string;
}

export class AuditEntryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time', description: 'when the answer was sent' }) at: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the tenant acted on (null for operator-wide changes)' })
  tenantId: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the API key used; null for SYSTEM entries (failed authentication is counted in metrics, not audited)',
  })
  apiKeyId: string | null;
  @ApiProperty({ type: String, nullable: true, description: "the key's name (the bootstrap token's: `bootstrap`); null for SYSTEM entries" })
  apiKeyName: string | null;
  @ApiProperty({ type: String, enum: ['operator', 'admin', 'member'], nullable: true }) role: string | null;
  @ApiProperty({
    enum: ['POST', 'PUT', 'PATCH', 'DELETE', 'SYSTEM', 'CONSOLE'],
    description: 'SYSTEM: done by xenplane itself (e.g. a quota correction); CONSOLE: a console session, written when it closes',
  })
  method: string;
  @ApiProperty({ example: '/v1/vms/:id/actions', description: 'the route template' }) route: string;
  @ApiProperty({ example: '/v1/vms/5f1c…/actions', description: 'the path as requested, without the query' }) path: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the resource named in the path, or the one created' })
  resourceId: string | null;
  @ApiProperty({ description: 'HTTP status of the answer (499: the client went away first)' }) status: number;
  @ApiProperty({ enum: ['succeeded', 'failed', 'unknown'] }) outcome: string;
  @ApiProperty({ type: String, nullable: true, description: 'the problem code of a failed request' }) errorCode: string | null;
  @ApiProperty({ description: 'the X-Request-Id of the request (for CONSOLE: the console session id)' }) requestId: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    nullable: true,
    description: "digests of secret fields the request carried (`userDataSha256`: the hex sha256 of a VM's user-data), never the fields",
  })
  details: Record<string, string> | null;
  @ApiProperty({ type: Number, nullable: true, description: 'CONSOLE: how long the session was open, in milliseconds; null otherwise' })
  durationMs: number | null;

  static of(this: void, a: AuditEntryEntity): AuditEntryView {
    return {
      id: a.id,
      at: a.createdAt.toISOString(),
      tenantId: a.tenantId,
      apiKeyId: a.apiKeyId,
      apiKeyName: a.apiKeyName,
      role: a.role,
      method: a.method,
      route: a.route,
      path: a.path,
      resourceId: a.resourceId,
      status: a.status,
      outcome: a.outcome,
      errorCode: a.errorCode,
      requestId: a.requestId,
      details: a.details ?? null,
      durationMs: a.durationMs,
    };
  }
}
