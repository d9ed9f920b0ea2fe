import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsObject, IsString, Matches, MaxLength, MinLength, ValidateIf, ValidateNested } from 'class-validator';
import type { ApiKeyEntity, TenantEntity } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';
import { NewTenantQuotaDto } from '../quota/quota.dto.js';

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;

export class UpdateTenantDto {
  // No `example`: linters compile the pattern without the u flag, so \p{L} would refuse any example (e.g. "acme").
  @ApiProperty({
    minLength: 1,
    maxLength: 100,
    pattern: NAME_RE.source,
    description: 'letters or digits of any script first, then also space . _ - (e.g. "acme"); unique, compared case-insensitively',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NAME_RE, { message: 'name must start with a letter or digit and contain letters, digits, space, . _ -' })
  name: string;
}

export class CreateTenantDto extends UpdateTenantDto {
  @ApiPropertyOptional({ type: NewTenantQuotaDto, description: 'initial limits; any left out are unlimited' })
  // May be left out, but not null: a body with the wrong type is refused rather than guessed at.
  @ValidateIf((_, v) => v !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => NewTenantQuotaDto)
  quota?: NewTenantQuotaDto;
}

export class CreateApiKeyDto {
  @NameField({ example: 'ci', maxLength: 100 })
  name: string;

  @ApiProperty({ enum: ['admin', 'member'] })
  @IsIn(['admin', 'member'])
  role: 'admin' | 'member';
}

export class TenantView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, t: TenantEntity): TenantView {
    return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
  }
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;

  static of(this: void, k: ApiKeyEntity): ApiKeyView {
    return {
      id: k.id,
      tenantId: k.tenantId!,
      name: k.name,
      role: k.role,
      createdAt: k.createdAt.toISOString(),
      revokedAt: k.revokedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ type: String, nullable: true, description: 'shown once; store it now (null in an Idempotency-Key replay: it is never stored)' })
  token: string | null;
}
