import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { PoolEntity, PoolTemplate } from '@xenplane/core';

const GiB = 1024 ** 3;

export class TemplateQueryDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, description: 'templates whose name contains this text, ignoring case' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  name?: string;
}

export class PoolTemplateView {
  @ApiProperty({ description: 'XAPI uuid: what an image may name as its template' }) uuid: string;
  @ApiProperty({ description: 'XAPI name_label: an image may name this instead (the largest disk wins when several share it)' }) name: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: "the boot disk a clone gets, in GiB rounded up (a VM's disk may not be smaller); null if unknown",
  })
  rootDiskGiB: number | null;
  @ApiProperty({ format: 'date-time', description: 'when pool sync last saw it' }) seenAt: string;

  static of(this: void, t: PoolTemplate): PoolTemplateView {
    return {
      uuid: t.uuid,
      name: t.nameLabel,
      rootDiskGiB: t.rootDiskBytes === null ? null : Math.ceil(t.rootDiskBytes / GiB),
      seenAt: t.updatedAt.toISOString(),
    };
  }
}

export class PoolTemplatesView {
  @ApiProperty({ type: [PoolTemplateView], description: 'every template of the last sync, by name (not paged)' }) items: PoolTemplateView[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the last sync; null: never synced, so nothing is known yet' })
  syncedAt: string | null;

  static of(this: void, pool: PoolEntity, templates: PoolTemplate[]): PoolTemplatesView {
    return { items: templates.map(PoolTemplateView.of), syncedAt: pool.lastSeenAt?.toISOString() ?? null };
  }
}
