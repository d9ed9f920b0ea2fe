import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { ProviderNetworkEntity } from '@xenplane/core';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_MESSAGE = 'name must start with a letter or digit and contain only letters, digits, . _ -';

export class AllocationPoolDto {
  @ApiProperty({ example: '203.0.113.10', maxLength: 15 })
  @IsString()
  @MaxLength(15)
  start: string;

  @ApiProperty({ example: '203.0.113.200', maxLength: 15 })
  @IsString()
  @MaxLength(15)
  end: string;
}

/** Fields PATCH may change as well as POST set. */
class ProviderNetworkEditable {
  @ApiPropertyOptional({ type: [String], maxItems: 4, example: ['203.0.113.53'], description: 'resolvers the guests are given (config drive)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(4)
  @IsIP('4', { each: true })
  dnsServers?: string[];

  @ApiPropertyOptional({ enum: ['all', 'tenants'], description: "who may attach: every tenant, or only those in tenantIds (default 'all')" })
  @IsOptional()
  @IsIn(['all', 'tenants'])
  visibility?: 'all' | 'tenants';

  @ApiPropertyOptional({ type: [String], format: 'uuid', maxItems: 1000, description: "with visibility 'tenants': the tenants that see it" })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('all', { each: true })
  tenantIds?: string[];
}

export class CreateProviderNetworkDto extends ProviderNetworkEditable {
  @ApiProperty({ example: 'public', minLength: 1, maxLength: 63, pattern: NAME.source })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ example: '203.0.113.0/24', maxLength: 18, description: 'any IPv4 subnet, /8 to /30' })
  @IsString()
  @MaxLength(18)
  cidr: string;

  @ApiProperty({ example: '203.0.113.1', maxLength: 15, description: "the operator's router on the subnet (guests' default route)" })
  @IsString()
  @MaxLength(15)
  gateway: string;

  @ApiProperty({ type: [AllocationPoolDto], minItems: 1, maxItems: 16, description: 'disjoint ranges inside the CIDR, without the gateway' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(16)
  @ValidateNested({ each: true })
  @Type(() => AllocationPoolDto)
  allocationPools: AllocationPoolDto[];

  @ApiPropertyOptional({ format: 'uuid', description: 'an existing XAPI network (its uuid); or give pif and vlan' })
  @IsOptional()
  @IsUUID()
  xapiNetwork?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'the PIF (uuid) a VLAN network is made on with pool.create_VLAN_from_PIF' })
  @IsOptional()
  @IsUUID()
  pif?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 4094, description: 'with pif: the 802.1Q tag' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(4094)
  vlan?: number;
}

export class UpdateProviderNetworkDto extends ProviderNetworkEditable {
  @ApiPropertyOptional({ type: [AllocationPoolDto], minItems: 1, maxItems: 16, description: 'disjoint ranges inside the CIDR, without the gateway' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(16)
  @ValidateNested({ each: true })
  @Type(() => AllocationPoolDto)
  allocationPools?: AllocationPoolDto[];

  @ApiPropertyOptional({ example: 'public', minLength: 1, maxLength: 63, pattern: NAME.source })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  @Matches(NAME, { message: NAME_MESSAGE })
  name?: string;
}

/** What the operator sees; tenants see the addressing only (never pool-side names or who else may attach). */
export class ProviderNetworkView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: '203.0.113.0/24' }) cidr: string;
  @ApiProperty({ example: '203.0.113.1' }) gateway: string;
  @ApiProperty({ type: [AllocationPoolDto] }) allocationPools: AllocationPoolDto[];
  @ApiProperty({ type: [String] }) dnsServers: string[];
  @ApiProperty({ enum: ['pending', 'active', 'deleting', 'deleted', 'error'] }) status: string;
  @ApiPropertyOptional({ enum: ['all', 'tenants'], description: 'operators only' }) visibility?: string;
  @ApiPropertyOptional({ type: [String], description: 'operators only' }) tenantIds?: string[];
  @ApiPropertyOptional({ type: String, nullable: true, description: 'operators only: the XAPI network' }) xapiNetwork?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'operators only' }) pif?: string | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, description: 'operators only' }) vlan?: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: "operators only: the hosts' uplink bridge" }) bridge?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'operators only: why it is in error' }) errorReason?: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static of(this: void, n: ProviderNetworkEntity & { tenantIds: string[] }, forOperator: boolean): ProviderNetworkView {
    return {
      id: n.id,
      name: n.name,
      cidr: n.cidr,
      gateway: n.gateway,
      allocationPools: n.allocationPools.map(({ start, end }) => ({ start, end })),
      dnsServers: n.dnsServers,
      status: n.status,
      ...(forOperator
        ? {
            visibility: n.visibility,
            tenantIds: n.tenantIds,
            xapiNetwork: n.xapiNetworkUuid,
            pif: n.pifUuid,
            vlan: n.vlan,
            bridge: n.bridge,
            errorReason: n.errorReason,
          }
        : {}),
      createdAt: n.createdAt.toISOString(),
      updatedAt: n.updatedAt.toISOString(),
    };
  }
}
