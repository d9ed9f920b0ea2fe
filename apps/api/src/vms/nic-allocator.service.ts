import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, NetworkRepository, fieldError, VmNicRepository, type NetworkEntity, type VmNic } from '@xenplane/core';
import { parseTenantCidr, intToIp, randomLocalMac } from '@xenplane/network/ipam';

// Each lost race moves on to the next free address; past this many, something other than a race is wrong.
const ATTEMPTS = 64;

/** IPAM for VM creates: one NIC per network, the lowest free address and a fresh MAC, unique under concurrency. */
@Injectable()
export class NicAllocator {
  constructor(
    private readonly networks: NetworkRepository,
    private readonly nics: VmNicRepository,
  ) {}

  /** Locks each network (shared) so it cannot be deleted while we attach; 400 on any that is not this tenant's and active. */
  async lockNetworks(tx: EntityManager, tenantId: string, ids: string[]): Promise<NetworkEntity[]> {
    const out: NetworkEntity[] = [];
    for (const [i, id] of ids.entries()) {
      const network = await this.networks.findLocked(tx, tenantId, id, 'read');
      if (!network || network.status !== 'active') throw fieldError(`networkIds.${i}`, 'no such active network');
      out.push(network);
    }
    return out;
  }

  /** Device i on networks[i]; 409 network_full when a network has no address left. */
  async allocate(tx: EntityManager, tenantId: string, vmId: string, networks: NetworkEntity[]): Promise<VmNic[]> {
    const out: VmNic[] = [];
    for (const [device, network] of networks.entries()) {
      const subnet = parseTenantCidr(network.cidr);
      // Offsets from the network address: network (0) and gateway (1) are never handed out, nor the broadcast.
      const range = { networkAddress: intToIp(subnet.network), firstOffset: 2, lastOffset: 1 + subnet.capacity };
      let ip: string | null = null;
      for (let i = 0; !ip && i < ATTEMPTS; i++) {
        ip = await this.nics.insertWithFreeIp(tx, tenantId, { vmId, networkId: network.id, device, mac: randomLocalMac() }, range);
        if (!ip && (await this.nics.countOnNetwork(tenantId, network.id, tx)) >= subnet.capacity) {
          throw new DomainError('network_full', `network ${network.id} is full: all ${subnet.capacity} addresses of ${network.cidr} are in use`, {
            networkId: network.id,
            capacity: subnet.capacity,
          });
        }
      }
      if (!ip) {
        throw new DomainError('address_contention', `no address could be allocated on network ${network.id}; try again`, {
          networkId: network.id,
          retryAfter: 1,
        });
      }
      out.push((await this.nics.listForVms(tenantId, [vmId], tx)).find((n) => n.device === device)!);
    }
    return out;
  }
}
