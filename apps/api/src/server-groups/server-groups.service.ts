import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  InUseError,
  NameTakenError,
  NotFoundError,
  ServerGroupRepository,
  type ListFilter,
  type Page,
  type PageRequest,
  type ServerGroupEntity,
  type ServerGroupPolicy,
} from '@xenplane/core';
import { TenantAccessService } from '@xenplane/tenancy';

export type ServerGroupWithMembers = ServerGroupEntity & { members: string[] };

/** Server groups: a tenant's placement rule over its VMs; names unique per tenant, deleted only when empty. */
@Injectable()
export class ServerGroupsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly groups: ServerGroupRepository,
    private readonly tenants: TenantAccessService,
  ) {}

  async create(tenantId: string, name: string, policy: ServerGroupPolicy): Promise<ServerGroupWithMembers> {
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      const made = await this.groups.insert(tx, { id: randomUUID(), tenantId, name, policy });
      if (!made) throw new NameTakenError('server group', name);
      return { ...made, members: [] };
    });
  }

  async list(tenantId: string, page: PageRequest, filter: ListFilter): Promise<Page<ServerGroupWithMembers>> {
    const found = await this.groups.list(tenantId, page, filter);
    const members = await this.groups.memberIds(
      tenantId,
      found.items.map((g) => g.id),
    );
    return { items: found.items.map((g) => ({ ...g, members: members.get(g.id) ?? [] })), nextCursor: found.nextCursor };
  }

  async get(tenantId: string, id: string): Promise<ServerGroupWithMembers> {
    const found = await this.groups.find(tenantId, id);
    if (!found) throw new NotFoundError('server group', id);
    return { ...found, members: (await this.groups.memberIds(tenantId, [id])).get(id) ?? [] };
  }

  /** Refused while it has members: their placement was chosen under its rule, which a later move must still keep. */
  async remove(tenantId: string, id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const group = await this.groups.lock(tx, tenantId, id);
      if (!group) throw new NotFoundError('server group', id);
      const members = (await this.groups.memberIds(tenantId, [id], tx)).get(id) ?? [];
      if (members.length > 0) throw new InUseError(`server group ${group.name} still has ${members.length} VMs`, { vms: members });
      await this.groups.delete(tx, tenantId, id);
    });
  }
}
