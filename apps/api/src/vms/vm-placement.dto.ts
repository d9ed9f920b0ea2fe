import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

const LOCATION = /^[a-z0-9][a-z0-9-]*$/;

/** Where a new VM may go (POST /v1/vms): a region or zone pins it; without, the scheduler weighs every connected pool. */
export class VmPlacementFields {
  @ApiPropertyOptional({ example: 'eu-west', maxLength: 63, description: "only pools of this region (the operator's PATCH /v1/pools/:id)" })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  @Matches(LOCATION, { message: 'region is lower-case letters, digits and -' })
  region?: string;

  @ApiPropertyOptional({ example: 'eu-west-1a', maxLength: 63, description: 'only pools of this zone' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  @Matches(LOCATION, { message: 'zone is lower-case letters, digits and -' })
  zone?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "joins the tenant's server group; its policy holds for this VM's host" })
  @IsOptional()
  @IsUUID()
  serverGroupId?: string;
}
