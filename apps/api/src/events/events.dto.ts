import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsUUID, Matches, Max, Min } from 'class-validator';

export class EventsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'operator keys only: one tenant (default: every tenant, and operators’ own resources)' })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'send the events after this id (for clients that cannot set Last-Event-ID; the header wins when both are sent)',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^(0|[1-9]\d{0,15})$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], default: 'true', description: 'false: send what the log holds after the position, then end' })
  @IsOptional()
  @IsIn(['true', 'false'])
  follow?: 'true' | 'false';

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'true',
    description:
      "false: frames carry no `event:` line, so a browser EventSource's `onmessage` receives every type (each event's type is in its data)",
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  named?: 'true' | 'false';

  @ApiPropertyOptional({
    type: 'string',
    example: 'vm.,operation.failed',
    description: 'comma-separated type prefixes to send (default: every type)',
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',').filter(Boolean) : value))
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(/^[a-z_.]{1,64}$/, { each: true, message: 'each type prefix is lowercase letters, _ and . (e.g. vm. or operation.failed)' })
  types?: string[];
}
