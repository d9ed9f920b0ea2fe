import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { NetworkEntity } from '@xenplane/core';
import { DetailsDto } from '../common/details.dto.js';
import { OperationView } from '../vms/vm.dto.js';

export class CreateNetworkDto {
  @ApiProperty({ example: 'backend', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name must start with a letter or digit and contain only letters, digits, . _ -' })
  name: string;

  @ApiProperty({ example: '10.0.0.0/24', maxLength: 18, description: 'a private IPv4 subnet, /16 to /29' })
  @IsString()
  @MaxLength(18)
  cidr: string;
}

export class UpdateNetworkDto extends DetailsDto {
  @ApiPropertyOptional({ example: 'backend', minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'name must start with a letter or digit and contain only letters, digits, . _ -' })
  name?: string;
}

export class NetworkView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ example: '10.0.0.0/24' }) cidr: string;
  @ApiProperty({ description: 'the gateway address, reserved (as are the network and broadcast addresses)' }) gateway: string;
  // Global across tenants: a tenant seeing its own would learn how many networks everyone has.
  @ApiPropertyOptional({ description: 'operators only: the VXLAN network identifier between hosts (never shown to tenants)' }) vni?: number;
  @ApiProperty({ enum: ['pending', 'active', 'deleting', 'deleted', 'error'] }) status: string;
  @ApiProperty({ type: String, nullable: true }) xapiUuid: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, n: NetworkEntity & { gateway: string }, forOperator: boolean): NetworkView {
    return {
      id: n.id,
      tenantId: n.tenantId,
      name: n.name,
      description: n.description,
      tags: n.tags,
      cidr: n.cidr,
      gateway: n.gateway,
      ...(forOperator ? { vni: n.vni } : {}),
      status: n.status,
      xapiUuid: n.xapiUuid,
      createdAt: n.createdAt.toISOString(),
      updatedAt: n.updatedAt.toISOString(),
    };
  }
}

export class NetworkAcceptedView {
  @ApiProperty({ type: NetworkView }) network: NetworkView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}
