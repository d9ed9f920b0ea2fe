import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  InUseError,
  InvalidStateError,
  NameTakenError,
  NotFoundError,
  PoolRepository,
  ProviderNetworkRepository,
  ValidationFailedError,
  fieldError,
  isUniqueViolation,
  type AllocationPool,
  type ListFilter,
  type Page,
  type PageRequest,
  type ProviderNetworkEntity,
} from '@xenplane/core';
import { checkProviderSubnet } from '@xenplane/network/ipam';
import { TenantRepository } from '@xenplane/tenancy';
import { usablePool } from '../common/usable-pool.js';
import type { CreateProviderNetworkDto, UpdateProviderNetworkDto } from './provider-network.dto.js';

export type ShownProviderNetwork = ProviderNetworkEntity & { tenantIds: string[] };

/**
 * Provider network rules: addressing checked as a whole (gateway, pools), exactly one source (an XAPI network or a
 * PIF and VLAN), visibility to all or named tenants, and no delete (or pool change) that would strand a held address.
 */
@Injectable()
export class ProviderNetworksService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly networks: ProviderNetworkRepository,
    private readonly pools: PoolRepository,
    private readonly tenants: TenantRepository,
  ) {}

  async create(dto: CreateProviderNetworkDto): Promise<ShownProviderNetwork> {
    const problems = checkProviderSubnet(dto).problems;
    if (dto.xapiNetwork && (dto.pif || dto.vlan !== undefined))
      problems.push({ path: 'xapiNetwork', message: 'give xapiNetwork, or pif and vlan, not both' });
    if (!dto.xapiNetwork && !(dto.pif && dto.vlan !== undefined))
      problems.push({ path: dto.pif ? 'vlan' : 'xapiNetwork', message: 'give xapiNetwork, or pif and vlan' });
    problems.push(...this.visibilityProblems(dto.visibility ?? 'all', dto.tenantIds));
    if (problems.length) throw new ValidationFailedError(problems);
    const pool = usablePool(await this.pools.findDefault());
    const id = randomUUID();
    return this.ds.transaction(async (tx) => {
      const tenantIds = await this.knownTenants(tx, dto.tenantIds ?? []);
      const made = await this.networks
        .insert(
          tx,
          {
            id,
            poolId: pool.id,
            name: dto.name,
            cidr: dto.cidr,
            gateway: dto.gateway,
            allocationPools: dto.allocationPools.map(({ start, end }) => ({ start, end })),
            dnsServers: dto.dnsServers ?? [],
            xapiNetworkUuid: dto.xapiNetwork ?? null,
            pifUuid: dto.pif ?? null,
            vlan: dto.vlan ?? null,
            visibility: dto.visibility ?? 'all',
            status: 'pending',
          },
          tenantIds,
        )
        .catch((err: unknown) => {
          throw isUniqueViolation(err) ? new NameTakenError('provider network', dto.name) : err;
        });
      if (!made) throw new NameTakenError('provider network', dto.name);
      return { ...made, tenantIds };
    });
  }

  /** Operators see every provider network; a tenant only those shared with all or naming it (another's is a 404). */
  async get(tenantId: string | null, id: string): Promise<ShownProviderNetwork> {
    const found = tenantId === null ? await this.networks.find(id) : await this.networks.findVisible(tenantId, id);
    if (!found) throw new NotFoundError('provider network', id);
    return (await this.withTenants([found]))[0];
  }

  async list(tenantId: string | null, page: PageRequest, filter: ListFilter): Promise<Page<ShownProviderNetwork>> {
    const found = tenantId === null ? await this.networks.list(page, filter) : await this.networks.listVisible(tenantId, page, filter);
    return { items: await this.withTenants(found.items), nextCursor: found.nextCursor };
  }

  async update(id: string, dto: UpdateProviderNetworkDto): Promise<ShownProviderNetwork> {
    return this.ds.transaction(async (tx) => {
      const network = await this.live(tx, id, 'change');
      const problems = dto.allocationPools
        ? checkProviderSubnet({ cidr: network.cidr, gateway: network.gateway, allocationPools: dto.allocationPools }).problems
        : [];
      const visibility = dto.visibility ?? network.visibility;
      // Shared with all again: the named tenants go with it; named tenants alone keep the ones named so far.
      const named = dto.tenantIds ?? (visibility === 'all' ? [] : ((await this.networks.tenantIds([id], tx)).get(id) ?? []));
      problems.push(...this.visibilityProblems(visibility, named));
      if (problems.length) throw new ValidationFailedError(problems);
      if (dto.allocationPools) await this.assertHeldInside(tx, network, dto.allocationPools);
      await this.networks.setTenants(tx, id, await this.knownTenants(tx, named));
      await this.networks
        .update(tx, id, {
          ...(dto.name !== undefined ? { name: dto.name } : {}),
          ...(dto.dnsServers !== undefined ? { dnsServers: dto.dnsServers } : {}),
          ...(dto.allocationPools ? { allocationPools: dto.allocationPools.map(({ start, end }) => ({ start, end })) } : {}),
          visibility,
        })
        .catch((err: unknown) => {
          throw isUniqueViolation(err) ? new NameTakenError('provider network', dto.name ?? network.name) : err;
        });
      return (await this.withTenants([(await this.networks.find(id, tx))!], tx))[0];
    });
  }

  /** Refused (409 in_use) while any address is held; the worker then removes what it made on the pool. */
  async remove(id: string): Promise<ShownProviderNetwork> {
    return this.ds.transaction(async (tx) => {
      const network = await this.live(tx, id, 'delete');
      const used = await this.networks.addressesInUse(id, tx);
      if (used.count > 0)
        throw new InUseError(`provider network ${id} still has ${used.count} address(es) held; detach or delete those VMs first`, {
          vms: used.vmIds,
          addresses: used.count,
        });
      await this.networks.update(tx, id, { status: 'deleting' });
      return (await this.withTenants([{ ...network, status: 'deleting' }], tx))[0];
    });
  }

  /** The row, locked; 404 if unknown, 409 once it is going. */
  private async live(tx: EntityManager, id: string, action: string): Promise<ProviderNetworkEntity> {
    const network = await this.networks.findForUpdate(tx, id);
    if (!network) throw new NotFoundError('provider network', id);
    if (network.status === 'deleting' || network.status === 'deleted')
      throw new InvalidStateError(`cannot ${action} a provider network that is ${network.status}`, { currentStatus: network.status, action });
    return network;
  }

  private visibilityProblems(visibility: 'all' | 'tenants', tenantIds: string[] | undefined): { path: string; message: string }[] {
    if (visibility === 'all' && tenantIds?.length) return [{ path: 'tenantIds', message: "tenantIds are for visibility 'tenants'" }];
    if (visibility === 'tenants' && !tenantIds?.length) return [{ path: 'tenantIds', message: "visibility 'tenants' needs at least one tenant" }];
    return [];
  }

  /** Every named tenant must exist (and not be deleted): a typo would hide the network from the tenant meant. */
  private async knownTenants(tx: EntityManager, ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids)];
    for (const [i, tenantId] of unique.entries()) {
      if (!(await this.tenants.lockActive(tx, tenantId))) throw fieldError(`tenantIds.${i}`, `no such tenant ${tenantId}`);
    }
    return unique.sort();
  }

  /** New pools must still hold every address handed out, or a NIC would keep an address outside any pool. */
  private async assertHeldInside(tx: EntityManager, network: ProviderNetworkEntity, pools: AllocationPool[]): Promise<void> {
    const outside = await this.networks.heldOutside(tx, network.id, pools);
    if (outside.length) throw fieldError('allocationPools', `held addresses would fall outside the pools: ${outside.slice(0, 10).join(', ')}`);
  }

  private async withTenants(networks: ProviderNetworkEntity[], q?: EntityManager): Promise<ShownProviderNetwork[]> {
    const named = await this.networks.tenantIds(
      networks.map((n) => n.id),
      q,
    );
    return networks.map((n) => ({ ...n, tenantIds: named.get(n.id) ?? [] }));
  }
}
