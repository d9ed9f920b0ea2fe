import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import type { FlavorEntity, ImageEntity } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';

export class CreateFlavorDto {
  @NameField({ example: 'small', maxLength: 100 })
  name: string;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 256, example: 2 })
  @IsInt()
  @Min(1)
  @Max(256)
  vcpus: number;
  @ApiProperty({ type: 'integer', minimum: 128, maximum: 4_194_304, example: 2048 })
  @IsInt()
  @Min(128)
  @Max(4_194_304)
  memoryMiB: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65_536, example: 20 })
  @IsInt()
  @Min(1)
  @Max(65_536)
  diskGiB: number;
}

export class CreateImageDto {
  @NameField({ example: 'debian-12', maxLength: 100 })
  name: string;
  @NameField({ description: 'XAPI template name_label or uuid', example: 'Debian Bookworm 12', maxLength: 255 })
  template: string;
  @ApiPropertyOptional({
    enum: ['nocloud', 'config-2'],
    default: 'nocloud',
    description:
      "the config drive its VMs get: cloud-init's NoCloud (label cidata), or OpenStack's config-2 layout for cloudbase-init (Windows) guests",
  })
  @IsOptional()
  @IsIn(['nocloud', 'config-2'])
  configDrive?: 'nocloud' | 'config-2';
}

export class FlavorView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() vcpus: number;
  @ApiProperty() memoryMiB: number;
  @ApiProperty() diskGiB: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, f: FlavorEntity): FlavorView {
    return { id: f.id, name: f.name, vcpus: f.vcpus, memoryMiB: f.memoryMiB, diskGiB: f.diskGiB, createdAt: f.createdAt.toISOString() };
  }
}

export class ImageView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() template: string;
  @ApiProperty({ enum: ['nocloud', 'config-2'] }) configDrive: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, i: ImageEntity): ImageView {
    return { id: i.id, name: i.name, template: i.template, configDrive: i.configDrive, createdAt: i.createdAt.toISOString() };
  }
}
