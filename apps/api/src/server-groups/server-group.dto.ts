import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { SERVER_GROUP_POLICIES, type ServerGroupEntity, type ServerGroupPolicy } from '@xenplane/core';
import { NameField } from '../common/name-field.decorator.js';

export class CreateServerGroupDto {
  @NameField({ example: 'web', maxLength: 100, description: "unique among the tenant's server groups (409 name_taken)" })
  name: string;

  @ApiProperty({
    enum: SERVER_GROUP_POLICIES,
    description:
      'anti-affinity: never two members on one host (a create that cannot keep it is 409 no_capacity, filter server_group); ' +
      'affinity: every member on the host of the first; soft-anti-affinity: apart when possible, together rather than refused',
  })
  @IsIn(SERVER_GROUP_POLICIES)
  policy: ServerGroupPolicy;
}

export class ServerGroupView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SERVER_GROUP_POLICIES }) policy: ServerGroupPolicy;
  @ApiProperty({ type: [String], format: 'uuid', description: 'the VMs in the group (POST /v1/vms with serverGroupId), oldest first' })
  members: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(this: void, g: ServerGroupEntity, members: string[]): ServerGroupView {
    return { id: g.id, name: g.name, policy: g.policy, members, createdAt: new Date(g.createdAt).toISOString() };
  }
}
