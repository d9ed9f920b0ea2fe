import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { SNAPSHOT_STATUSES, type SnapshotEntity } from '@xenplane/core';
import { OperationView } from '../vms/vm.dto.js';
import { VmView } from '../vms/vm.dto.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class CreateSnapshotDto {
  @ApiProperty({
    example: 'before-upgrade',
    minLength: 1,
    maxLength: 63,
    pattern: NAME.source,
    description: 'unique among the snapshots of that VM or volume',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(NAME, { message: 'name must start with a letter or digit and contain only letters, digits, . _ -' })
  name: string;
}

/** The VM's sizes when the snapshot was taken: what a revert brings back. */
export class SnapshotSizesView {
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) flavorId: string | null;
  @ApiProperty({ type: 'integer' }) vcpus: number;
  @ApiProperty({ type: 'integer' }) memoryMiB: number;
  @ApiProperty({ type: 'integer' }) diskGiB: number;
}

export class SnapshotView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ enum: ['vm', 'volume'], description: 'what it is a snapshot of' }) kind: 'vm' | 'volume';
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) vmId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) volumeId: string | null;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SNAPSHOT_STATUSES }) status: string;
  @ApiProperty({ type: 'integer', description: 'GiB it holds of the snapshotGiB quota and is billed for (snapshot-gib-hour)' }) sizeGiB: number;
  @ApiProperty({ type: SnapshotSizesView, nullable: true, description: "a VM snapshot's VM sizes, which a revert brings back" })
  vmSizes: SnapshotSizesView | null;
  @ApiProperty({ type: String, nullable: true }) xapiUuid: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'code of the last failed operation' }) errorReason: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, s: SnapshotEntity): SnapshotView {
    const vmSizes = s.vmId ? { flavorId: s.flavorId, vcpus: s.vcpus!, memoryMiB: s.memoryMiB!, diskGiB: s.diskGiB! } : null;
    return {
      id: s.id,
      tenantId: s.tenantId,
      kind: s.vmId ? 'vm' : 'volume',
      vmId: s.vmId,
      volumeId: s.volumeId,
      name: s.name,
      status: s.status,
      sizeGiB: s.sizeGiB,
      vmSizes,
      xapiUuid: s.xapiUuid,
      errorReason: s.errorReason,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }
}

export class SnapshotAcceptedView {
  @ApiProperty({ type: SnapshotView }) snapshot: SnapshotView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}

export class RevertAcceptedView extends SnapshotAcceptedView {
  @ApiProperty({ type: VmView, description: 'the VM with the sizes the revert brings back (quota already charged for them)' }) vm: VmView;
}
