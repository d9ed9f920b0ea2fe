import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import type { VolumeEntity, VolumeTypeEntity } from '@xenplane/core';
import { OperationView } from '../vms/vm.dto.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MESSAGE = 'name must start with a letter or digit and contain only letters, digits, . _ -';
/** The largest volume: 64 TiB, under the 2 TiB-per-VHD limit of no SR but within what xapi's int64 sizes carry. */
export const MAX_VOLUME_GIB = 65_536;

export class CreateVolumeDto {
  @ApiProperty({ example: 'data-1', minLength: 1, maxLength: 63, pattern: NAME.source })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_VOLUME_GIB })
  @IsInt()
  @Min(1)
  @Max(MAX_VOLUME_GIB)
  sizeGiB: number;

  @ApiPropertyOptional({ example: 'ssd', maxLength: 63, description: "a volume type's name (GET /v1/volume-types); left out: the pool's default SR" })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  type?: string;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "a volume's snapshot to restore: the new volume starts with its content (sizeGiB at least its size)",
  })
  @IsOptional()
  @IsUUID()
  snapshotId?: string;
}

export class ResizeVolumeDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_VOLUME_GIB, description: 'the new size: larger than the current one (volumes only grow)' })
  @IsInt()
  @Min(1)
  @Max(MAX_VOLUME_GIB)
  sizeGiB: number;
}

export class VolumeActionDto {
  @ApiProperty({ enum: ['attach', 'detach'] })
  @IsIn(['attach', 'detach'])
  action: 'attach' | 'detach';

  @ApiPropertyOptional({ format: 'uuid', description: 'attach: the VM (of the same tenant)' })
  @ValidateIf((o: VolumeActionDto) => o.action === 'attach')
  @IsUUID()
  vmId?: string;

  @ApiPropertyOptional({ description: "detach: unplug without the guest's consent (VBD.unplug_force); data the guest has not flushed may be lost" })
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

export class VolumeView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: 'integer' }) sizeGiB: number;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'the volume type; null: the default SR' }) typeId: string | null;
  @ApiProperty({ enum: ['pending', 'available', 'attaching', 'in-use', 'detaching', 'resizing', 'deleting', 'deleted', 'error'] }) status: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'the VM it is attached (or being attached) to' }) vmId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Xen disk number on the VM (xvd<b + n>)' }) device: string | null;
  @ApiProperty({ type: String, nullable: true }) xapiUuid: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'code of the last failed operation' }) errorReason: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'the snapshot it was restored from' }) sourceSnapshotId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, v: VolumeEntity): VolumeView {
    return {
      id: v.id,
      tenantId: v.tenantId,
      name: v.name,
      sizeGiB: v.sizeGiB,
      typeId: v.typeId,
      status: v.status,
      vmId: v.vmId,
      device: v.device,
      xapiUuid: v.xapiUuid,
      errorReason: v.errorReason,
      sourceSnapshotId: v.sourceSnapshotId,
      createdAt: v.createdAt.toISOString(),
      updatedAt: v.updatedAt.toISOString(),
    };
  }
}

export class VolumeAcceptedView {
  @ApiProperty({ type: VolumeView }) volume: VolumeView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}

export class CreateVolumeTypeDto {
  @ApiProperty({ example: 'ssd', minLength: 1, maxLength: 63, pattern: NAME.source })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ format: 'uuid', description: "the SR's uuid on the default pool" })
  @IsUUID()
  srUuid: string;
}

export class VolumeTypeView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) poolId: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) srUuid: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, t: VolumeTypeEntity): VolumeTypeView {
    return { id: t.id, poolId: t.poolId, name: t.name, srUuid: t.srUuid, createdAt: t.createdAt.toISOString() };
  }
}
