import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf, ValidateNested } from 'class-validator';
import type { ApiKeyEntity, TenantEntity } from '@xenplane/core';
import { IsInstant } from '../common/instant.decorator.js';
import { NameField } from '../common/name-field.decorator.js';
import { NewTenantQuotaDto } from '../quota/quota.dto.js';

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;

export class TenantNameDto {
  @ApiProperty({ example: 'acme', minLength: 1, maxLength: 100, pattern: NAME_RE.source })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME_RE, { message: 'name must start with a letter or digit and contain letters, digits, space, . _ -' })
  name: string;
}

export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'acme', minLength: 1, maxLength: 100, pattern: NAME_RE.source })
  @ValidateIf((o: UpdateTenantDto) => o.name !== undefined || o.suspended === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME_RE, { message: 'name must start with a letter or digit and contain letters, digits, space, . _ -' })
  name?: string;

  @ApiPropertyOptional({
    description: "true: the tenant's keys may read but every change is 403 tenant_suspended (VMs keep running); false: reinstated",
  })
  @ValidateIf((o: UpdateTenantDto) => o.suspended !== undefined)
  @IsBoolean()
  suspended?: boolean;
}

export class CreateTenantDto extends TenantNameDto {
  @ApiPropertyOptional({ type: NewTenantQuotaDto, description: 'initial limits; any left out are unlimited' })
  // May be left out, but not null: a body with the wrong type is refused rather than guessed at.
  @ValidateIf((_, v) => v !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => NewTenantQuotaDto)
  quota?: NewTenantQuotaDto;
}

const EXPIRY = 'when the key stops working (401 from then on)';

export class RotateKeyDto {
  // Required (null allowed): a rotation says when the new key expires rather than inheriting a date by accident.
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: `${EXPIRY}; null: never` })
  @ValidateIf((o: RotateKeyDto) => o.expiresAt !== null)
  @IsInstant()
  expiresAt: string | null;
}

export class CreateOperatorKeyDto {
  @NameField({ example: 'alice', maxLength: 100, description: 'who holds it: one key per person' })
  name: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: `${EXPIRY}; absent or null: never` })
  @IsOptional()
  @IsInstant()
  expiresAt?: string | null;
}

export class CreateApiKeyDto extends CreateOperatorKeyDto {
  @ApiProperty({ enum: ['admin', 'member'] })
  @IsIn(['admin', 'member'])
  role: 'admin' | 'member';
}

export class TenantView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ description: 'its keys may read, not change (403 tenant_suspended); VMs keep running' }) suspended: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) suspendedAt: string | null;

  static of(this: void, t: TenantEntity): TenantView {
    return {
      id: t.id,
      name: t.name,
      createdAt: t.createdAt.toISOString(),
      updatedAt: t.updatedAt.toISOString(),
      suspended: t.suspendedAt !== null,
      suspendedAt: t.suspendedAt?.toISOString() ?? null,
    };
  }
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** What every key shows, tenant or operator. */
class KeyFieldsView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'after it the key answers 401; null: never' })
  expiresAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'last authenticated use, refreshed at most once a minute' })
  lastUsedAt: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the key this one replaced by rotation' })
  rotatedFrom: string | null;

  static fields(this: void, k: ApiKeyEntity): KeyFieldsView {
    const [createdAt, revokedAt, expiresAt, lastUsedAt] = [k.createdAt.toISOString(), iso(k.revokedAt), iso(k.expiresAt), iso(k.lastUsedAt)];
    return { id: k.id, name: k.name, createdAt, revokedAt, expiresAt, lastUsedAt, rotatedFrom: k.rotatedFrom };
  }
}

export class ApiKeyView extends KeyFieldsView {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role: string;

  static of(this: void, k: ApiKeyEntity): ApiKeyView {
    return { ...KeyFieldsView.fields(k), tenantId: k.tenantId!, role: k.role };
  }
}

const TOKEN_DOC = { type: String, nullable: true, description: 'shown once; store it now (null in an Idempotency-Key replay: it is never stored)' };

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty(TOKEN_DOC) token: string | null;
}

export class OperatorKeyView extends KeyFieldsView {
  @ApiProperty({ description: 'the identity of BOOTSTRAP_OPERATOR_TOKEN (neither rotated nor revoked here)' }) bootstrap: boolean;

  static of(this: void, k: ApiKeyEntity): OperatorKeyView {
    return { ...KeyFieldsView.fields(k), bootstrap: k.bootstrap };
  }
}

export class CreatedOperatorKeyView extends OperatorKeyView {
  @ApiProperty(TOKEN_DOC) token: string | null;
}
