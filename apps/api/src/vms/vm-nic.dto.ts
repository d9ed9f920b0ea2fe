import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, IsUUID } from 'class-validator';
import { NicView, OperationView } from './vm.dto.js';

export class AddNicDto {
  @ApiProperty({
    format: 'uuid',
    description:
      "one of the tenant's active networks, or an active provider network visible to it (a public address, counted by the publicIps quota), on the " +
      "VM's pool and not yet joined by this VM",
  })
  @IsUUID()
  networkId: string;

  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    description: "the NIC's security groups (another tenant's is 404); left out: the tenant's default group",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  securityGroupIds?: string[];
}

export class SetNicSecurityGroupsDto {
  @ApiProperty({
    type: [String],
    format: 'uuid',
    description: "replaces the NIC's groups (another tenant's group is 404); [] admits no new connection in or out, replies still pass",
  })
  @IsArray()
  @ArrayMaxSize(16)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  securityGroupIds: string[];
}

export class NicListView {
  @ApiProperty({ type: [NicView], description: 'by device; a VM has at most 7, so this is always the one page' }) items: NicView[];
  @ApiProperty({ type: String, nullable: true, description: 'always null' }) nextCursor: string | null;
}

export class NicAcceptedView {
  @ApiProperty({ type: NicView }) nic: NicView;
  @ApiProperty({ type: OperationView }) operation: OperationView;
}
