import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { SG_DIRECTIONS, SG_PROTOCOLS, type SecurityGroupEntity, type SecurityGroupRuleRow } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';

export class CreateSecurityGroupDto {
  @NameField({ example: 'web', maxLength: 100, description: "unique among the tenant's groups (409 name_taken; `default` is the tenant's own)" })
  name: string;

  @ApiPropertyOptional({ example: 'http(s) from anywhere', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class UpdateSecurityGroupDto {
  @NameField({ example: 'web', maxLength: 100, optional: true, description: 'the default group keeps its name (409 default_group)' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class CreateSecurityGroupRuleDto {
  @ApiProperty({ enum: SG_DIRECTIONS, description: 'ingress: new connections to the NIC; egress: new connections from it' })
  @IsIn(SG_DIRECTIONS)
  direction: (typeof SG_DIRECTIONS)[number];

  @ApiProperty({ enum: SG_PROTOCOLS })
  @IsIn(SG_PROTOCOLS)
  protocol: (typeof SG_PROTOCOLS)[number];

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, description: 'tcp/udp only: first destination port; left out: every port' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  portMin?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 65535,
    description: 'tcp/udp only: last destination port (≥ portMin; left out: portMin)',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  portMax?: number;

  @ApiPropertyOptional({
    example: '0.0.0.0/0',
    maxLength: 18,
    description: 'the peer, an IPv4 CIDR (ingress: source; egress: destination); exactly one of remoteCidr, remoteGroupId',
  })
  @IsOptional()
  @IsString()
  @MaxLength(18)
  remoteCidr?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "the peer must be a NIC in this group of the same tenant (another tenant's group is 404)" })
  @IsOptional()
  @IsUUID()
  remoteGroupId?: string;
}

export class SecurityGroupRuleView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) securityGroupId: string;
  @ApiProperty({ enum: SG_DIRECTIONS }) direction: string;
  @ApiProperty({ enum: SG_PROTOCOLS }) protocol: string;
  @ApiProperty({ type: 'integer', nullable: true }) portMin: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) portMax: number | null;
  @ApiProperty({ type: String, nullable: true, example: '0.0.0.0/0' }) remoteCidr: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) remoteGroupId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, r: SecurityGroupRuleRow): SecurityGroupRuleView {
    return {
      id: r.id,
      securityGroupId: r.groupId,
      direction: r.direction,
      protocol: r.protocol,
      portMin: r.portMin,
      portMax: r.portMax,
      remoteCidr: r.remoteCidr,
      remoteGroupId: r.remoteGroupId,
      createdAt: new Date(r.createdAt).toISOString(),
    };
  }
}

export class SecurityGroupView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ description: "the tenant's default group: NICs join it when no group is named" }) isDefault: boolean;
  @ApiProperty({ type: [SecurityGroupRuleView] }) rules: SecurityGroupRuleView[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, g: SecurityGroupEntity, rules: SecurityGroupRuleRow[]): SecurityGroupView {
    return {
      id: g.id,
      name: g.name,
      description: g.description,
      isDefault: g.isDefault,
      rules: rules.filter((r) => r.groupId === g.id).map(SecurityGroupRuleView.of),
      createdAt: new Date(g.createdAt).toISOString(),
    };
  }
}
