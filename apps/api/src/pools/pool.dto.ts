import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { X509Certificate } from 'node:crypto';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { HOST_MAINTENANCE, POOL_STATUSES, type HostEntity, type HostMaintenance, type PoolEntity } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';
import { FilteredQuery } from '../common/list-query.dto.js';
import { PageQueryDto } from '../common/query.dto.js';

export class CreatePoolDto {
  @NameField({ example: 'paris-1', maxLength: 100 })
  name: string;

  @ApiProperty({
    example: 'https://xcp-master.example',
    maxLength: 500,
    description: 'the pool master (any member works: HOST_IS_SLAVE is followed)',
  })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(500)
  url: string;

  @NameField({ example: 'root', maxLength: 200 })
  username: string;

  @ApiProperty({ writeOnly: true, minLength: 1, maxLength: 500, description: 'stored encrypted, never returned' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  password: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      "https pools: one PEM CA certificate the pool's certificate must chain to (host name checked), instead of the system roots; " +
      "XCP-ng's self-signed certificate itself works when its names match the URL. Never returned: the pool shows its SHA-256 fingerprint",
  })
  @IsOptional()
  @IsString()
  @MaxLength(20_000)
  caCertificate?: string;

  @ApiPropertyOptional({
    example: 'AB:CD:…',
    description:
      "https pools, instead of caCertificate: the SHA-256 fingerprint of the pool's own certificate (64 hex digits, colons optional), " +
      'trusted alone whatever its names (`openssl x509 -noout -fingerprint -sha256`)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, { message: 'must be a SHA-256 fingerprint: 64 hex digits, colons optional' })
  tlsFingerprint?: string;
}

const LOCATION = /^[a-z0-9][a-z0-9-]*$/;

export class UpdatePoolDto {
  @ApiPropertyOptional({ type: String, nullable: true, example: 'eu-west', maxLength: 63, description: 'null: in no region' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(63)
  @Matches(LOCATION, { message: 'region is lower-case letters, digits and -' })
  region?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, example: 'eu-west-1a', maxLength: 63, description: 'null: in no zone' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(63)
  @Matches(LOCATION, { message: 'zone is lower-case letters, digits and -' })
  zone?: string | null;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: "a factor on every host's score here (default 1; 0: only when nothing else fits)" })
  @ValidateIf((_, v) => v !== undefined) // null is not a weight or ratio
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  weight?: number;

  @ApiPropertyOptional({ minimum: 0.1, maximum: 64, description: 'vCPUs promised per physical CPU (default 4)' })
  @ValidateIf((_, v) => v !== undefined) // null is not a weight or ratio
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(64)
  cpuAllocationRatio?: number;

  @ApiPropertyOptional({ minimum: 0.1, maximum: 4, description: 'memory promised per byte of host memory (default 1: no overcommit)' })
  @ValidateIf((_, v) => v !== undefined) // null is not a weight or ratio
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.1)
  @Max(4)
  memoryAllocationRatio?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 86400,
    description: "how long a host's metrics stay not live before it is declared dead and its VMs recovered (default 60)",
  })
  @ValidateIf((_, v) => v !== undefined) // null is not a period
  @IsInt()
  @Min(0)
  @Max(86400)
  hostFailureGraceSeconds?: number;
}

export class PoolIdentityDto {
  @ApiProperty({
    enum: ['adopt', 'revert'],
    description:
      'adopt: the pool now at the URL is this pool (its uuid becomes the identity; VMs whose XAPI objects it lacks are then released as vanished); ' +
      'revert: keep the registered identity (the old pool is back or the URL was fixed); the next connection checks again',
  })
  @IsIn(['adopt', 'revert'])
  action: 'adopt' | 'revert';
}

export class TlsPinView {
  @ApiProperty({
    enum: ['ca', 'certificate'],
    description: 'ca: the certificate must chain to the given CA; certificate: only the pinned certificate is trusted',
  })
  type: 'ca' | 'certificate';
  @ApiProperty({ example: 'AB:CD:…', description: 'SHA-256 fingerprint of the CA or of the pinned certificate' }) sha256: string;
}

export class HostQueryDto extends FilteredQuery(PageQueryDto, null, { named: true }) {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  poolId?: string;
}

export class PoolView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() url: string;
  @ApiProperty() username: string;
  @ApiProperty({
    enum: POOL_STATUSES,
    description: 'identity_mismatch: the URL answers with another pool uuid (observedXapiPoolUuid); nothing is reconciled until POST …/identity',
  })
  status: string;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the pool object uuid in XAPI, recorded at first contact' }) xapiPoolUuid: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'while identity_mismatch: the pool uuid the URL answers with instead' })
  observedXapiPoolUuid: string | null;
  @ApiProperty({ description: 'configured from XAPI_* at start' }) fromEnvironment: boolean;
  @ApiProperty({ type: TlsPinView, nullable: true, description: 'how workers trust its certificate; null: the system roots' })
  tlsPin: TlsPinView | null;
  @ApiProperty() hostCount: number;
  @ApiProperty({ type: String, nullable: true }) region: string | null;
  @ApiProperty({ type: String, nullable: true }) zone: string | null;
  @ApiProperty({ description: "the operator's placement weight" }) weight: number;
  @ApiProperty() cpuAllocationRatio: number;
  @ApiProperty() memoryAllocationRatio: number;
  @ApiProperty({ type: Number, nullable: true, description: 'free GiB on the default SR at the last sync' }) srFreeGiB: number | null;
  @ApiProperty({ description: 'seconds a host stays not live before it is declared dead (restart after host failure)' })
  hostFailureGraceSeconds: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, p: PoolEntity, hostCount: number): PoolView {
    return {
      id: p.id,
      name: p.name,
      url: p.url,
      username: p.username,
      status: p.status,
      lastError: p.lastError,
      lastSeenAt: p.lastSeenAt?.toISOString() ?? null,
      xapiPoolUuid: p.xapiPoolUuid,
      observedXapiPoolUuid: p.observedXapiPoolUuid,
      fromEnvironment: p.fromEnv,
      tlsPin: p.tlsCaPem
        ? { type: 'ca', sha256: new X509Certificate(p.tlsCaPem).fingerprint256 }
        : p.tlsFingerprint
          ? { type: 'certificate', sha256: p.tlsFingerprint }
          : null,
      hostCount,
      region: p.region,
      zone: p.zone,
      weight: p.weight,
      cpuAllocationRatio: p.cpuAllocationRatio,
      memoryAllocationRatio: p.memoryAllocationRatio,
      srFreeGiB: p.srFreeBytes === null ? null : Math.floor(p.srFreeBytes / 1024 ** 3),
      hostFailureGraceSeconds: p.hostFailureGraceSeconds,
      createdAt: p.createdAt.toISOString(),
    };
  }
}

export class PoolIdentityView {
  @ApiProperty({ type: PoolView }) pool: PoolView;
  @ApiProperty({
    description:
      'after adopt: the settled VM rows on this pool the reconciler now judges against the adopted pool (each whose XAPI VM is absent is released as vanished); after revert: 0',
  })
  vmsToReconcile: number;
}

export class HostMaintenanceDto {
  @ApiProperty({ description: 'true: drain the host (its VMs move live elsewhere) and keep it out of placement; false: put it back' })
  @IsBoolean()
  enabled: boolean;
}

export class MaintenanceBlockerView {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'our VM (null: a VM xenplane does not manage)' }) vmId: string | null;
  @ApiProperty() xapiVmUuid: string;
  @ApiProperty({ example: 'VM_REQUIRES_SR', description: "XAPI's reason, no_capacity (params: the filter), not_managed, or the failed move's code" })
  code: string;
  @ApiProperty({ type: [String] }) params: string[];
}

export class HostView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) poolId: string;
  @ApiProperty({ description: 'XAPI host uuid (VMs report it as hostId)' }) xapiUuid: string;
  @ApiProperty() name: string;
  @ApiProperty() address: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() live: boolean;
  @ApiProperty() memoryTotalMiB: number;
  @ApiProperty() memoryFreeMiB: number;
  @ApiProperty() cpus: number;
  @ApiProperty({
    enum: HOST_MAINTENANCE,
    description: 'none; draining: out of placement, its VMs moving live (or listed in maintenanceBlockers); maintenance: empty',
  })
  maintenance: HostMaintenance;
  @ApiProperty({ type: [MaintenanceBlockerView], description: 'while draining: the VMs that cannot leave, and why' })
  maintenanceBlockers: MaintenanceBlockerView[];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'declared dead (its pool showed it not live beyond hostFailureGraceSeconds); null while live',
  })
  failedAt: string | null;
  @ApiProperty({ format: 'date-time', description: 'when the worker last saw it' }) updatedAt: string;

  static of(this: void, h: HostEntity): HostView {
    const mib = (b: number) => Math.floor(b / 1024 / 1024);
    return {
      id: h.id,
      poolId: h.poolId,
      xapiUuid: h.xapiUuid,
      name: h.name,
      address: h.address,
      enabled: h.enabled,
      live: h.live,
      memoryTotalMiB: mib(h.memoryTotalBytes),
      memoryFreeMiB: mib(h.memoryFreeBytes),
      cpus: h.cpuCount,
      maintenance: h.maintenance,
      maintenanceBlockers: h.maintenanceBlockers,
      failedAt: h.failedAt?.toISOString() ?? null,
      updatedAt: h.updatedAt.toISOString(),
    };
  }
}
