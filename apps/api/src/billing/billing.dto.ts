import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, ValidateNested } from 'class-validator';
import { BILLING_PERIOD_PATTERN, LATER_SKUS, SKUS, SKU_CATALOG, type PriceVersion, type UsageTotal } from '@xenplane/accounting';
import { IsInstant } from '../common/instant.decorator.js';

const DECIMAL = /^(0|[1-9]\d{0,9})(\.\d{1,6})?$/;

export class PriceItemDto {
  @ApiProperty({ enum: SKUS }) @IsIn(SKUS) sku: string;
  @ApiProperty({
    example: '0.0125',
    description: 'price of one pricing unit (see `unit`), a decimal string with at most 6 decimals (so price × quantity is exact at 12)',
  })
  @IsString()
  @Matches(DECIMAL, { message: 'must be a non-negative decimal string with at most 10 integer and 6 fractional digits' })
  unitPrice: string;
  @ApiPropertyOptional({ example: 'Hours', description: "the sku's pricing unit (as GET /v1/prices shows it); optional, checked when given" })
  @IsOptional()
  @IsString()
  unit?: string;
}

export class PutPricesDto {
  @ApiPropertyOptional({ example: 'EUR', description: 'ISO 4217 code; optional, and when given it must be the configured BILLING_CURRENCY' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code like EUR' })
  currency?: string;
  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'when the prices apply (default: now). Prices apply to whole hours: from the hour this instant falls in if that hour is not ' +
      'rated yet, else from the next hour (the answer’s `effectiveFrom` says which); hours already rated never change',
  })
  @IsOptional()
  @IsInstant()
  effectiveFrom?: string;
  @ApiProperty({
    type: [PriceItemDto],
    description: `every sku exactly once (${LATER_SKUS.join(', ')} may be left out: it keeps the price in force)`,
  })
  @IsArray()
  @ArrayMinSize(SKUS.length - LATER_SKUS.length)
  @ArrayMaxSize(SKUS.length)
  @ValidateNested({ each: true })
  @Type(() => PriceItemDto)
  items: PriceItemDto[];
}

export class PricesQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'the version in force at this time (default: now)' })
  @IsOptional()
  @IsInstant()
  at?: string;
}

export class UsageQueryDto {
  @ApiProperty({ format: 'date-time', description: 'inclusive; hours starting at or after it' }) @IsInstant() from: string;
  @ApiProperty({ format: 'date-time', description: 'exclusive' }) @IsInstant() to: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'operators: one tenant (default: all); tenants: their own only' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class PriceView {
  @ApiProperty({ enum: SKUS }) sku: string;
  @ApiProperty({ example: '0.0125' }) unitPrice: string;
  @ApiProperty({ example: 'Hours' }) unit: string;
}

export class PriceListView {
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time', description: 'the first hour these prices rate (always a whole hour)' }) effectiveFrom: string;
  @ApiProperty({ type: String, example: 'EUR', nullable: true, description: 'null only for the zero-price list before BILLING_CURRENCY is set' })
  currency: string | null;
  @ApiProperty({ type: [PriceView] }) items: PriceView[];

  static of(this: void, v: PriceVersion): PriceListView {
    return { ...v, items: v.items.map((i) => ({ sku: i.sku, unitPrice: i.unitPrice, unit: SKU_CATALOG[i.sku].pricingUnit })) };
  }
}

export class UsageItemView {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ enum: SKUS }) sku: string;
  @ApiProperty({ description: 'metered seconds (summed over resources)' }) seconds: number;
  @ApiProperty({ example: '7200', description: 'exact measure in consumedUnit (seconds × size)' }) consumedQuantity: string;
  @ApiProperty({ example: 'Core-Seconds' }) consumedUnit: string;
  @ApiProperty({ example: '2.000000', description: 'in pricing units (hours × size), 6 decimals per hourly record' }) quantity: string;
  @ApiProperty({ example: 'Core-Hours' }) unit: string;
  @ApiProperty({ example: '0.0250000000', description: 'list cost at full precision' }) cost: string;
  @ApiProperty({ type: String, example: 'EUR', nullable: true, description: 'BILLING_CURRENCY (null: usage metered before it was configured)' })
  currency: string | null;
  @ApiProperty({ description: 'true: hours not rated yet (the running one so far), estimated the way they will be rated; never exported' })
  estimated: boolean;

  static of(this: void, u: UsageTotal, estimated: boolean): UsageItemView {
    const info = SKU_CATALOG[u.sku];
    return {
      tenantId: u.tenantId,
      sku: u.sku,
      currency: u.currency,
      estimated,
      seconds: u.seconds,
      consumedQuantity: u.consumedQuantity,
      consumedUnit: info.consumedUnit,
      quantity: u.pricingQuantity,
      unit: info.pricingUnit,
      cost: u.cost,
    };
  }
}

export class UsageView {
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'hours before this are aggregated; later ones are not in the figures yet',
  })
  ratedThrough: string | null;
  @ApiProperty({ format: 'date-time', description: 'estimated items count usage up to this instant (now, or `to` once it is past)' })
  asOf: string;
  @ApiProperty({ type: [UsageItemView], description: 'rated items, then estimated ones (`estimated: true`) for the hours not rated yet' })
  items: UsageItemView[];
}

export class VmUsageView extends UsageView {
  @ApiProperty({ format: 'uuid' }) vmId: string;
}

export class InvoiceQueryDto {
  @ApiProperty({
    example: '2026-09',
    description: 'a UTC calendar month, YYYY-MM (years 2000-2999) that has begun; a later one is 422 period_out_of_range',
  })
  @Matches(BILLING_PERIOD_PATTERN, { message: 'must be a month like 2026-09 (years 2000-2999)' })
  period: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'operators: one tenant (default: all); tenants: their own only' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;
}

export class InvoiceTotalView {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ example: 'EUR' }) currency: string;
  @ApiProperty({ description: 'rows of the period file summed' }) rows: number;
  @ApiProperty({ example: '12.345678901234', description: 'Σ BilledCost at full precision' }) exact: string;
  @ApiProperty({ example: '12.35', description: "the exact sum rounded once, half to even, to the currency's minor unit" }) total: string;
}

export class InvoicesView {
  @ApiProperty({ example: '2026-09' }) period: string;
  @ApiProperty({ type: [InvoiceTotalView] }) items: InvoiceTotalView[];
}
