import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ConflictError,
  DomainError,
  InvalidStateError,
  fieldError,
  JobName,
  NetworkRepository,
  NotFoundError,
  OperationLauncher,
  PoolRepository,
  type NetworkEntity,
  type OperationEntity,
  type ListFilter,
  type Page,
  type PageRequest,
  type RequestMeta,
} from '@xenplane/core';
import { intToIp, parseTenantCidr } from '@xenplane/network/ipam';
import { QuotaService, TenantAccessService } from '@xenplane/tenancy';
import type { CreateNetworkDto } from './network.dto.js';

export type ShownNetwork = NetworkEntity & { gateway: string };

// Losing the VNI race this many times in a row means something else is wrong.
const VNI_ATTEMPTS = 20;

function show(n: NetworkEntity): ShownNetwork {
  return { ...n, gateway: intToIp(parseTenantCidr(n.cidr).gateway) };
}

/** Network rules: a private subnet, a VNI from the pool, the networks quota, and no delete while VMs are attached. */
@Injectable()
export class NetworksService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly networks: NetworkRepository,
    private readonly pools: PoolRepository,
    private readonly launcher: OperationLauncher,
    private readonly quota: QuotaService,
    private readonly tenants: TenantAccessService,
  ) {}

  async create(tenantId: string, dto: CreateNetworkDto, meta: RequestMeta): Promise<{ network: ShownNetwork; operation: OperationEntity }> {
    try {
      parseTenantCidr(dto.cidr);
    } catch (err) {
      throw fieldError('cidr', (err as Error).message);
    }
    const pool = await this.pools.findDefault();
    if (!pool) throw new DomainError('unavailable', 'no XAPI pool is registered');
    const [id, operationId] = [randomUUID(), randomUUID()];
    return this.ds.transaction(async (tx) => {
      await this.tenants.holdActive(tx, tenantId);
      // Charged first: the quota row lock also queues this tenant's concurrent creates before the VNI race.
      await this.quota.charge(tx, tenantId, { networks: 1 }, { resourceId: id, operationId });
      let network: NetworkEntity | null = null;
      for (let i = 0; !network && i < VNI_ATTEMPTS; i++) {
        network = await this.networks.insertWithFreeVni(tx, { id, tenantId, poolId: pool.id, name: dto.name, cidr: dto.cidr });
      }
      if (!network) throw new DomainError('unavailable', 'no VXLAN network identifier is free');
      const operation = await this.launcher.launch(tx, tenantId, JobName.NetworkCreate, { type: 'network', id }, meta, operationId);
      return { network: show(network), operation };
    });
  }

  async get(tenantId: string, id: string): Promise<ShownNetwork> {
    const network = await this.networks.find(tenantId, id);
    if (!network) throw new NotFoundError('network', id);
    return show(network);
  }

  /** One tenant's networks, or every tenant's (`tenantId` null: operators only, the controller decides). */
  async list(tenantId: string | null, page: PageRequest, filter: ListFilter): Promise<Page<ShownNetwork>> {
    const found = tenantId === null ? await this.networks.listAllTenants(page, filter) : await this.networks.list(tenantId, page, filter);
    return { items: found.items.map(show), nextCursor: found.nextCursor };
  }

  /** Refused while any VM is attached; the write lock keeps a VM create from attaching meanwhile. */
  async remove(tenantId: string, id: string, meta: RequestMeta): Promise<{ network: ShownNetwork; operation: OperationEntity }> {
    return this.ds.transaction(async (tx) => {
      const network = await this.networks.findLocked(tx, tenantId, id, 'write');
      if (!network) throw new NotFoundError('network', id);
      if (network.status === 'deleting' || network.status === 'deleted') {
        throw new InvalidStateError(`cannot delete a network that is ${network.status}`, { currentStatus: network.status, action: 'delete' });
      }
      if (await this.networks.hasAttachedVms(tenantId, id, tx)) throw new ConflictError(`network ${id} still has VMs attached; delete them first`);
      const operation = await this.launcher.launch(tx, tenantId, JobName.NetworkDelete, { type: 'network', id }, meta);
      await this.networks.update(tx, tenantId, id, { status: 'deleting' });
      return { network: show({ ...network, status: 'deleting' }), operation };
    });
  }
}
