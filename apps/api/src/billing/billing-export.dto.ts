import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID, Matches } from 'class-validator';
import { BILLING_PERIOD_PATTERN as PERIOD, EXPORT_FORMATS } from '@xenplane/accounting';

export class PeriodQueryDto {
  @ApiProperty({
    example: '2026-09',
    description: 'a UTC calendar month, YYYY-MM (years 2000-2999) that has begun; a later one is 422 period_out_of_range',
  })
  @Matches(PERIOD, { message: 'must be a month like 2026-09 (years 2000-2999)' })
  period: string;
}

export class ExportQueryDto extends PeriodQueryDto {
  @ApiPropertyOptional({ enum: EXPORT_FORMATS, default: 'focus', description: 'focus: FOCUS 1.2 cost and usage CSV; csv and json: our own fields' })
  @IsOptional()
  @IsIn(EXPORT_FORMATS)
  format: 'focus' | 'csv' | 'json' = 'focus';

  @ApiPropertyOptional({ format: 'uuid', description: 'operators: one tenant (default: all); tenants: their own only' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class PeriodParamDto {
  @ApiProperty({
    example: '2026-09',
    description: 'YYYY-MM, from the first month with prices or usage through the current one (else 422 period_out_of_range)',
  })
  @Matches(PERIOD, { message: 'must be a month like 2026-09 (years 2000-2999)' })
  period: string;
}

export class ClosedPeriodView {
  @ApiProperty({ example: '2026-09' }) period: string;
  @ApiProperty({ format: 'date-time' }) closedAt: string;
  @ApiProperty({ description: "sha256 of the period's FOCUS file (all tenants) as frozen; every later export has these bytes" }) sha256: string;
}

export class ClosedPeriodsView {
  @ApiProperty({ type: [ClosedPeriodView] }) items: ClosedPeriodView[];
}
