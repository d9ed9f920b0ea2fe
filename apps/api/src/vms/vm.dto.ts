import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { allowedActions, HOSTNAME_MAX, HOSTNAME_PATTERN, type OperationEntity, type VmAction, type VmEntity } from '@xenplane/core';
import { liveMaxOf } from './vm-sizing.js';
import { DetailsDto } from '../common/details.dto.js';
import { VmPlacementFields } from './vm-placement.dto.js';

const VM_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/** User-data is at most 64 KiB (counted in UTF-8 bytes by the service; the pattern's characters can only be fewer). */
export const USER_DATA_MAX = 65_536;

export class CreateVmDto extends VmPlacementFields {
  @ApiProperty({ example: 'web-1', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name must start with a letter or digit and contain only letters, digits, . _ -' })
  name: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  flavorId: string;

  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  imageId: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description:
      "networks to attach, one NIC each: the tenant's own, or provider networks visible to it (a public address each, counted by the publicIps quota)",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(7)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  networkIds?: string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 65536,
    description:
      "root disk size; defaults to the flavor's. Never below the image template's own disk (disks never shrink): 422 disk_below_template, with minDiskGiB",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(65_536)
  diskGiB?: number;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "the tenant's keypairs whose keys the guest authorises (cloud-init ssh_authorized_keys)",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  keypairIds?: string[];

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "security groups every NIC of the VM is filtered by (another tenant's group is 404); left out: the tenant's default group",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  securityGroupIds?: string[];

  @ApiPropertyOptional({
    maxLength: USER_DATA_MAX,
    description:
      'cloud-init user-data (a #cloud-config, a #! script, or a MIME multipart), at most 64 KiB of UTF-8; sealed at rest, never returned or logged (the audit log keeps its sha256)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(USER_DATA_MAX)
  userData?: string;

  @ApiPropertyOptional({
    example: 'web-1',
    maxLength: HOSTNAME_MAX,
    pattern: HOSTNAME_PATTERN,
    description: "the guest's host name (RFC 1123); defaults to the VM name as one label",
  })
  @IsOptional()
  @IsString()
  @MaxLength(HOSTNAME_MAX)
  @Matches(new RegExp(HOSTNAME_PATTERN), {
    message: 'hostname must be an RFC 1123 host name: labels of letters, digits and inner hyphens, separated by dots',
  })
  hostname?: string;

  @ApiPropertyOptional({
    description:
      "true: started again on another host when its host dies; false: left stopped (errorReason host_failed). Default: the flavor's restartOnHostFailure",
  })
  @IsOptional()
  @IsBoolean()
  restart?: boolean;
}

/** A resize (flavorId: 202 with its operation) and/or new details (alone: 200, no operation). */
export class UpdateVmDto extends DetailsDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'the flavor to resize to (vCPUs and memory; the disk keeps its size)' })
  @IsOptional()
  @IsUUID()
  flavorId?: string;

  @ApiPropertyOptional({ example: 'web-1', minLength: 1, maxLength: 63, pattern: VM_NAME_PATTERN })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(new RegExp(VM_NAME_PATTERN), { message: 'name must start with a letter or digit and contain only letters, digits, . _ -' })
  name?: string;

  @ApiPropertyOptional({ description: 'true: started again on another host when its host dies; false: left stopped (errorReason host_failed)' })
  @IsOptional()
  @IsBoolean()
  restart?: boolean;
}

export class VmActionDto {
  @ApiProperty({ enum: ['start', 'stop', 'reboot', 'migrate'], description: 'migrate: operator keys only, a live move' })
  @IsIn(['start', 'stop', 'reboot', 'migrate'])
  action: 'start' | 'stop' | 'reboot' | 'migrate';

  @ApiPropertyOptional({
    format: 'uuid',
    description: "migrate: the host to move to (GET /v1/hosts); without, the scheduler picks one of the VM's pool",
  })
  @IsOptional()
  @IsUUID()
  hostId?: string;
}

export class NicView {
  @ApiProperty({ format: 'uuid', description: "stable for the NIC's life: name it in /v1/vms/:id/nics/:nicId" }) id: string;
  @ApiProperty({
    enum: ['attaching', 'attached', 'detaching'],
    description: 'attaching/detaching while its operation runs (the address is held until the NIC is gone)',
  })
  status: string;
  @ApiProperty({ description: 'Xen VIF device number: the guest sees it as eth<device>' }) device: number;
  @ApiProperty({ format: 'uuid', description: "the tenant network's id, or the provider network's" }) networkId: string;
  @ApiProperty({ enum: ['private', 'provider'], description: "provider: the address is from an operator's provider network (a public IP)" })
  networkKind: 'private' | 'provider';
  @ApiProperty() mac: string;
  @ApiProperty({ description: 'the address IPAM allocated' }) ip: string;
  @ApiProperty({
    type: [String],
    description:
      "the addresses the guest's agent reports on this NIC (VM_guest_metrics.networks), as the worker last saw them; empty until it reports",
  })
  guestIps: string[];
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: 'the security groups filtering this NIC (stateful; none: no new connection in or out)',
  })
  securityGroupIds: string[];
}

type NicShown = {
  id: string;
  status: string;
  device: number;
  networkId: string;
  provider?: boolean;
  mac: string;
  ip: string;
  guestIps?: string[];
  securityGroupIds?: string[];
};

export function nicView(this: void, n: NicShown): NicView {
  const { id, status, device, networkId, mac, ip } = n;
  const networkKind = n.provider ? ('provider' as const) : ('private' as const);
  return { id, status, device, networkId, networkKind, mac, ip, guestIps: n.guestIps ?? [], securityGroupIds: n.securityGroupIds ?? [] };
}

export class LiveMaxView {
  @ApiProperty({ example: 4 }) vcpus: number;
  @ApiProperty({ example: 4096 }) memoryMiB: number;
}

export class ActiveOperationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'vm.stop' }) kind: string;
}

export class VmView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ enum: ['pending', 'provisioning', 'running', 'stopped', 'deleting', 'deleted', 'error'] }) status: string;
  @ApiProperty({ format: 'uuid' }) flavorId: string;
  @ApiProperty({ format: 'uuid' }) imageId: string;
  @ApiProperty() vcpus: number;
  @ApiProperty() memoryMiB: number;
  @ApiProperty() diskGiB: number;
  @ApiProperty({
    type: LiveMaxView,
    description: 'what it may grow to while running (XAPI VCPUs_max, memory_static_max); more, or a larger disk, is 409 requires_stop',
  })
  liveMax: LiveMaxView;
  @ApiProperty({ type: [NicView] }) nics: NicView[];
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the host it runs on, as GET /v1/hosts lists it (null while not running, or before pool sync has seen the host)',
  })
  hostId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'XAPI uuid of the host it runs on' }) hostXapiUuid: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "the guest's host name (its config drive's local-hostname); null for VMs made before config drives",
  })
  hostname: string | null;
  @ApiProperty({ type: [String], format: 'uuid', description: 'the keypairs whose keys the guest was given at creation' }) keypairIds: string[];
  @ApiProperty({ type: String, nullable: true }) xapiUuid: string | null;
  @ApiProperty({ format: 'uuid', description: 'the pool the scheduler chose' }) poolId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'the server group it joined at creation' }) serverGroupId: string | null;
  @ApiProperty({
    description: "started again on another host when its host dies (its flavor's restartOnHostFailure unless changed)",
  })
  restart: boolean;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'why the VM is in error; or host_failed: stopped because its host died (restart: false, or no host could take it)',
  })
  errorReason: string | null;
  @ApiProperty({
    type: ActiveOperationView,
    nullable: true,
    description: 'the queued or running operation on the VM: while there is one, any other action is 409 operation_in_progress',
  })
  operation: ActiveOperationView | null;
  @ApiProperty({
    enum: ['start', 'stop', 'reboot', 'resize', 'delete', 'migrate'],
    isArray: true,
    description: "what the VM's status allows now (others are 409 invalid_state); none while an operation runs. migrate: operator keys only",
  })
  allowedActions: VmAction[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  /** `nics` as the service loaded them with the VM. */
  static of(
    this: void,
    vm: VmEntity & {
      nics?: NicShown[];
      bootstrap?: { hostname: string; keypairIds: string[] };
      hostId?: string | null;
      operation?: { id: string; kind: string } | null;
    },
  ): VmView {
    return {
      id: vm.id,
      tenantId: vm.tenantId,
      name: vm.name,
      description: vm.description,
      tags: vm.tags,
      status: vm.status,
      flavorId: vm.flavorId,
      imageId: vm.imageId,
      vcpus: vm.vcpus,
      memoryMiB: vm.memoryMiB,
      diskGiB: vm.diskGiB,
      liveMax: liveMaxOf(vm),
      nics: (vm.nics ?? []).map(nicView),
      hostname: vm.bootstrap?.hostname ?? null,
      keypairIds: vm.bootstrap?.keypairIds ?? [],
      hostId: vm.hostId ?? null,
      hostXapiUuid: vm.hostUuid,
      xapiUuid: vm.xapiUuid,
      poolId: vm.poolId,
      serverGroupId: vm.serverGroupId ?? null,
      restart: vm.restart,
      errorReason: vm.errorReason,
      operation: vm.operation ?? null,
      allowedActions: vm.operation ? [] : allowedActions(vm.status),
      createdAt: vm.createdAt.toISOString(),
      updatedAt: vm.updatedAt.toISOString(),
    };
  }
}

export class OperationErrorView {
  @ApiProperty() code: string;
  @ApiProperty() detail: string;
}

export class OperationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ example: 'vm.create' }) kind: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed'] }) status: string;
  @ApiProperty({ example: 'vm' }) resourceType: string;
  @ApiProperty({ format: 'uuid' }) resourceId: string;
  @ApiProperty({ type: String, nullable: true, description: 'last step completed' }) step: string | null;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      "the scheduler's decision: stage, pool, zone, host, the top of the ranking with each weigher, and rejected {hostsConsidered, byReason}",
  })
  placement?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: OperationErrorView }) error?: OperationErrorView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;

  static of(this: void, op: OperationEntity): OperationView {
    return {
      id: op.id,
      tenantId: op.tenantId,
      kind: op.kind,
      status: op.status,
      resourceType: op.resourceType,
      resourceId: op.resourceId,
      step: op.step,
      ...(op.placement ? { placement: op.placement } : {}),
      ...(op.errorCode ? { error: { code: op.errorCode, detail: op.errorDetail ?? '' } } : {}),
      createdAt: op.createdAt.toISOString(),
      startedAt: op.startedAt?.toISOString() ?? null,
      finishedAt: op.finishedAt?.toISOString() ?? null,
    };
  }
}

export class VmAcceptedView {
  @ApiProperty({ type: VmView }) vm: VmView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}
