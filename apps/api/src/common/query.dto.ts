import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min, ValidateBy } from 'class-validator';
import { parseCursor, type SortOrder } from '@xenplane/core';

/** A query-string integer in plain decimal only: `0x10`, `1e2`, ` 5` or `05` stay strings, so @IsInt refuses them. */
const QueryInt = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^(0|-?[1-9]\d{0,15})$/.test(value) ? Number(value) : value));

/** A cursor this API issued: decoded here, at the edge, so no forged position ever reaches a query. */
const IsCursor = () =>
  ValidateBy({
    name: 'isCursor',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && parseCursor(v) !== null,
      defaultMessage: () => 'cursor must be a nextCursor this API returned',
    },
  });

export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page (opaque)', maxLength: 200 })
  @IsOptional()
  @IsCursor()
  cursor?: string;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc', description: 'by creation time: newest first (desc) or oldest first (asc)' })
  @IsOptional()
  @IsIn(['desc', 'asc'])
  order: SortOrder = 'desc';
}

/** Tenant-scoped lists: an operator names the tenant with ?tenantId=. */
export class TenantPageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class TenantQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}
