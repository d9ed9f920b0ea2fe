import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { X509Certificate } from 'node:crypto';
import { IsOptional, IsString, IsUrl, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import type { HostEntity, PoolEntity } from '@xenplane/core';
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
  @ApiProperty({ enum: ['pending', 'connected', 'error'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastSeenAt: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'the pool object uuid in XAPI' }) xapiPoolUuid: string | null;
  @ApiProperty({ description: 'configured from XAPI_* at start' }) fromEnvironment: boolean;
  @ApiProperty({ type: TlsPinView, nullable: true, description: 'how workers trust its certificate; null: the system roots' })
  tlsPin: TlsPinView | null;
  @ApiProperty() hostCount: number;
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
      fromEnvironment: p.fromEnv,
      tlsPin: p.tlsCaPem
        ? { type: 'ca', sha256: new X509Certificate(p.tlsCaPem).fingerprint256 }
        : p.tlsFingerprint
          ? { type: 'certificate', sha256: p.tlsFingerprint }
          : null,
      hostCount,
      createdAt: p.createdAt.toISOString(),
    };
  }
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
      updatedAt: h.updatedAt.toISOString(),
    };
  }
}
