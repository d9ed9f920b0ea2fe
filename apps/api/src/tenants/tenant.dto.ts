import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { ApiKeyEntity, TenantEntity } from '@xenplane/core';

const NAME_RE = /^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u;

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', maxLength: 100 })
  @IsString() @MinLength(1) @MaxLength(100) @Matches(NAME_RE, { message: 'name must start with a letter or digit and contain letters, digits, space, . _ -' })
  name: string;
}

export class UpdateTenantDto extends CreateTenantDto {}

export class CreateApiKeyDto {
  @ApiProperty({ example: 'ci' }) @IsString() @MinLength(1) @MaxLength(100)
  name: string;

  @ApiProperty({ enum: ['admin', 'member'] }) @IsIn(['admin', 'member'])
  role: 'admin' | 'member';
}

export class TenantView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(t: TenantEntity): TenantView {
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

  static of(k: ApiKeyEntity): ApiKeyView {
    return { id: k.id, tenantId: k.tenantId!, name: k.name, role: k.role, createdAt: k.createdAt.toISOString(), revokedAt: k.revokedAt?.toISOString() ?? null };
  }
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'shown once; store it now' }) token: string;
}
