import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor from the previous page' })
  @IsOptional() @IsString() @MaxLength(200)
  cursor?: string;
}

/** Tenant-scoped lists: an operator names the tenant with ?tenantId=. */
export class TenantPageQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional() @IsUUID()
  tenantId?: string;
}

export class TenantQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: the tenant to act on' })
  @IsOptional() @IsUUID()
  tenantId?: string;
}
