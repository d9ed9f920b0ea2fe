import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  DomainError,
  NetworkRepository,
  ProviderNetworkRepository,
  fieldError,
  VmNicRepository,
  type NetworkEntity,
  type ProviderNetworkEntity,
  type VmNic,
  type VmNicStatus,
} from '@xenplane/core';
import { checkProviderSubnet, parseTenantCidr, intToIp, randomLocalMac, type PoolRange } from '@xenplane/network/ipam';

// Each lost race moves on to the next free address; past this many, something other than a race is wrong.
const ATTEMPTS = 64;

/** Where a NIC goes: one of the tenant's networks, or a provider network visible to it. */
export type NicTarget = { kind: 'private'; network: NetworkEntity } | { kind: 'provider'; network: ProviderNetworkEntity };

/** IPAM for VM NICs (at create, or added later): the lowest free address and a fresh MAC, unique under concurrency. */
@Injectable()
export class NicAllocator {
  constructor(
    private readonly networks: NetworkRepository,
    private readonly providers: ProviderNetworkRepository,
    private readonly nics: VmNicRepository,
  ) {}

  /**
   * Locks each network (shared) so it cannot be deleted while we attach: the tenant's own, else a provider network it
   * may see; 400 on any that is neither (another tenant's, or one not shared with it) or not active.
   */
  async lockTargets(tx: EntityManager, tenantId: string, ids: string[], path = (i: number) => `networkIds.${i}`): Promise<NicTarget[]> {
    const out: NicTarget[] = [];
    for (const [i, id] of ids.entries()) {
      const network = await this.networks.findLocked(tx, tenantId, id, 'read');
      if (network?.status === 'active') {
        out.push({ kind: 'private', network });
        continue;
      }
      const provider = network ? null : await this.providers.findVisible(tenantId, id, tx, true);
      if (provider?.status !== 'active') throw fieldError(path(i), 'no such active network');
      out.push({ kind: 'provider', network: provider });
    }
    return out;
  }

  /** How many public (provider network) addresses the targets take: the publicIps quota charge (at create, or for one added NIC). */
  publicIps(targets: NicTarget[]): number {
    return targets.filter((t) => t.kind === 'provider').length;
  }

  /** Device i on targets[i]; 409 network_full (a tenant network) or no_address (a provider network's pools) when full. */
  async allocate(tx: EntityManager, tenantId: string, vmId: string, targets: NicTarget[]): Promise<VmNic[]> {
    const out: VmNic[] = [];
    for (const [device, target] of targets.entries()) out.push(await this.allocateOne(tx, tenantId, vmId, target, device));
    return out;
  }

  /**
   * One NIC at `device` (with `id` when a charge was keyed by it first): 409 network_full (a tenant network) or
   * no_address (a provider network's pools) when full.
   */
  async allocateOne(tx: EntityManager, tenantId: string, vmId: string, target: NicTarget, device: number, opts: NicOptions = {}): Promise<VmNic> {
    if (target.kind === 'provider')
      return this.allocatePublic(tx, tenantId, { vmId, device, providerNetworkId: target.network.id, ...opts }, target.network);
    return this.allocatePrivate(tx, tenantId, { vmId, device, networkId: target.network.id, ...opts }, target.network);
  }

  private async allocatePrivate(tx: EntityManager, tenantId: string, nic: PrivateNic, network: NetworkEntity): Promise<VmNic> {
    const subnet = parseTenantCidr(network.cidr);
    // Offsets from the network address: network (0) and gateway (1) are never handed out, nor the broadcast.
    const range = { networkAddress: intToIp(subnet.network), firstOffset: 2, lastOffset: 1 + subnet.capacity };
    let made: VmNic | null = null;
    for (let i = 0; !made && i < ATTEMPTS; i++) {
      made = await this.nics.insertWithFreeIp(tx, tenantId, { ...nic, mac: randomLocalMac() }, range);
      if (!made && (await this.nics.countOnNetwork(tenantId, network.id, tx)) >= subnet.capacity) {
        throw new DomainError('network_full', `network ${network.id} is full: all ${subnet.capacity} addresses of ${network.cidr} are in use`, {
          networkId: network.id,
          capacity: subnet.capacity,
        });
      }
    }
    if (!made) throw contention(network.id);
    return made;
  }

  /** The pools in address order; a full pool (counted across tenants) passes on to the next. */
  private async allocatePublic(tx: EntityManager, tenantId: string, nic: PublicNic, network: ProviderNetworkEntity): Promise<VmNic> {
    const subnet = checkProviderSubnet(network).subnet!;
    for (const pool of subnet.pools) {
      const made = await this.tryPool(tx, tenantId, nic, pool);
      if (made) return made;
    }
    throw new DomainError(
      'no_address',
      `provider network ${network.name} has no free address: all ${subnet.capacity} addresses of its allocation pools are held`,
      { networkId: network.id, capacity: subnet.capacity },
    );
  }

  /** The NIC once it holds an address of `pool`; null when the pool is full. */
  private async tryPool(tx: EntityManager, tenantId: string, nic: PublicNic, pool: PoolRange): Promise<VmNic | null> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const made = await this.nics.insertProviderNic(tx, tenantId, { ...nic, mac: randomLocalMac() }, pool);
      if (made) return made;
      if ((await this.nics.countInProviderPool(nic.providerNetworkId, pool, tx)) >= pool.last - pool.first + 1) return null;
    }
    throw contention(nic.providerNetworkId);
  }
}

type NicOptions = { status?: VmNicStatus; id?: string };
type PrivateNic = NicOptions & { vmId: string; device: number; networkId: string };
type PublicNic = NicOptions & { vmId: string; device: number; providerNetworkId: string };

function contention(networkId: string): DomainError {
  return new DomainError('address_contention', `no address could be allocated on network ${networkId}; try again`, { networkId, retryAfter: 1 });
}
