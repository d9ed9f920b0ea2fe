import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { VmNicStatus } from '../entities/vm-nic.entity.js';
import { affected, one, rows } from '../sql.js';

export interface VmNic {
  /** Stable for the NIC's life; its device may move to a free slot before it is plugged */
  id: string;
  vmId: string;
  /** The tenant network's id, or the provider network's (`provider`). */
  networkId: string;
  /** On an operator's provider network: the address came from its pools and counts as a public IP. */
  provider: boolean;
  device: number;
  mac: string;
  ip: string;
  /** What the guest's agent reports on this NIC (VM_guest_metrics.networks), as the watcher last saw it */
  guestIps: string[];
  status: VmNicStatus;
}

/** What a NIC insert names; the address comes from the range. An id chosen before (a quota charge keyed by it), else a new one. */
export type NewVmNic = Pick<VmNic, 'vmId' | 'networkId' | 'device' | 'mac'> & { status?: VmNicStatus; id?: string };

/** A NIC with what the worker needs to plug it: the XAPI network and the subnet's prefix length. */
export interface VmNicPlug extends VmNic {
  networkXapiUuid: string | null;
  prefix: number;
  /** A provider network's gateway and resolvers (a tenant network's gateway is derived from its CIDR). */
  gateway: string | null;
  dnsServers: string[];
}

/** Where addresses may be handed out: offsets from the network address, first and last inclusive. */
export interface AddressRange {
  networkAddress: string;
  firstOffset: number;
  lastOffset: number;
}

const NIC_COLUMNS = `n.id, n.status, n.vm_id AS "vmId", coalesce(n.network_id, n.provider_network_id) AS "networkId", n.provider_network_id IS NOT NULL AS provider,
  n.device, n.mac::text AS mac, host(n.ip) AS ip, n.guest_ips AS "guestIps"`;
// A NIC is on a tenant network or a provider network: both joined, whichever matches names the XAPI network and prefix.
const PLUG_COLUMNS = `${NIC_COLUMNS}, coalesce(net.xapi_uuid, p.xapi_network_uuid) AS "networkXapiUuid", masklen(coalesce(net.cidr, p.cidr)) AS prefix,
  host(p.gateway) AS gateway, coalesce(p.dns_servers, '{}') AS "dnsServers"`;
const PLUG_FROM = `vm_nics n LEFT JOIN networks net ON net.id = n.network_id LEFT JOIN provider_networks p ON p.id = n.provider_network_id`;
// The addresses reported for the NIC's device in `json` (an object: device → addresses), none when it is absent.
const reported = (json: string) => `coalesce(ARRAY(SELECT jsonb_array_elements_text(${json} -> n.device::text)), '{}')`;
const REPORTED = reported('$3::jsonb');

/** VM NICs and the addresses they hold; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VmNicRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Inserts the NIC with the lowest free address in `range`. Null when a concurrent create took that address (or
   * the MAC) first or the range is full: the unique indexes answer without aborting `tx`, and the caller retries.
   * Answers the NIC as `listForVms` shows it.
   */
  async insertWithFreeIp(tx: EntityManager, tenantId: string, nic: NewVmNic, range: AddressRange): Promise<VmNic | null> {
    const row = await one<VmNic>(
      tx,
      `WITH used AS (SELECT (ip - $6::inet) AS k FROM vm_nics WHERE network_id = $3),
       free AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM used WHERE k = $7) THEN $7::bigint
         ELSE (SELECT min(u.k) + 1 FROM used u WHERE NOT EXISTS (SELECT 1 FROM used w WHERE w.k = u.k + 1)) END AS k)
       INSERT INTO vm_nics AS n (id, vm_id, tenant_id, network_id, device, mac, ip, status)
       SELECT coalesce($10::uuid, gen_random_uuid()), $1, $2, $3, $4, $5::macaddr, $6::inet + free.k, $9 FROM free WHERE free.k <= $8
       ON CONFLICT DO NOTHING RETURNING ${NIC_COLUMNS}`,
      [
        nic.vmId,
        tenantId,
        nic.networkId,
        nic.device,
        nic.mac,
        range.networkAddress,
        range.firstOffset,
        range.lastOffset,
        nic.status ?? 'attached',
        nic.id ?? null,
      ],
    );
    return row ?? null;
  }

  /**
   * Inserts a NIC on a provider network with the lowest free address of one allocation pool (`first`..`last` as
   * integers). Null when a concurrent create took it (or the MAC) first or the pool is full; the caller retries.
   */
  async insertProviderNic(
    tx: EntityManager,
    tenantId: string,
    nic: { vmId: string; device: number; mac: string; providerNetworkId: string; status?: VmNicStatus; id?: string },
    pool: { first: number; last: number },
  ): Promise<VmNic | null> {
    const row = await one<VmNic>(
      tx,
      `WITH used AS (SELECT (ip - '0.0.0.0'::inet) AS k FROM vm_nics WHERE provider_network_id = $3 AND (ip - '0.0.0.0'::inet) BETWEEN $6 AND $7),
       free AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM used WHERE k = $6) THEN $6::bigint
         ELSE (SELECT min(u.k) + 1 FROM used u WHERE NOT EXISTS (SELECT 1 FROM used w WHERE w.k = u.k + 1)) END AS k)
       INSERT INTO vm_nics AS n (id, vm_id, tenant_id, provider_network_id, device, mac, ip, address_id, status)
       SELECT coalesce($9::uuid, gen_random_uuid()), $1, $2, $3, $4, $5::macaddr, '0.0.0.0'::inet + free.k, gen_random_uuid(), $8 FROM free
       WHERE free.k <= $7
       ON CONFLICT DO NOTHING RETURNING ${NIC_COLUMNS}`,
      [nic.vmId, tenantId, nic.providerNetworkId, nic.device, nic.mac, pool.first, pool.last, nic.status ?? 'attached', nic.id ?? null],
    );
    return row ?? null;
  }

  /** Addresses held in one allocation pool of a provider network, across tenants (exhaustion is the operator's pools'). */
  async countInProviderPool(providerNetworkId: string, pool: { first: number; last: number }, q: EntityManager = this.ds.manager): Promise<number> {
    const row = await one<{ n: number }>(
      q,
      `SELECT count(*)::int AS n FROM vm_nics WHERE provider_network_id = $1 AND (ip - '0.0.0.0'::inet) BETWEEN $2 AND $3`,
      [providerNetworkId, pool.first, pool.last],
    );
    return row!.n;
  }

  /** The VM's public (provider network) addresses: what it holds of the publicIps quota. */
  async countPublicIps(tenantId: string, vmId: string, q: EntityManager = this.ds.manager): Promise<number> {
    const row = await one<{ n: number }>(
      q,
      `SELECT count(*)::int AS n FROM vm_nics WHERE tenant_id = $1 AND vm_id = $2 AND provider_network_id IS NOT NULL`,
      [tenantId, vmId],
    );
    return row!.n;
  }

  async countOnNetwork(tenantId: string, networkId: string, q: EntityManager = this.ds.manager): Promise<number> {
    const row = await one<{ n: number }>(q, `SELECT count(*)::int AS n FROM vm_nics WHERE tenant_id = $1 AND network_id = $2`, [tenantId, networkId]);
    return row!.n;
  }

  /** The NICs of the given VMs, by VM then device. */
  async listForVms(tenantId: string, vmIds: string[], q: EntityManager = this.ds.manager): Promise<VmNic[]> {
    if (!vmIds.length) return [];
    return rows<VmNic>(q, `SELECT ${NIC_COLUMNS} FROM vm_nics n WHERE n.tenant_id = $1 AND n.vm_id = ANY($2::uuid[]) ORDER BY n.vm_id, n.device`, [
      tenantId,
      vmIds,
    ]);
  }

  /** The NICs of VMs already read, of whichever tenants own them (an operator's cross-tenant list), by VM then device. */
  async listForTenantVms(vms: { tenantId: string; id: string }[], q: EntityManager = this.ds.manager): Promise<VmNic[]> {
    if (!vms.length) return [];
    return rows<VmNic>(
      q,
      `SELECT ${NIC_COLUMNS} FROM vm_nics n JOIN unnest($1::uuid[], $2::uuid[]) AS v(tenant_id, id) ON n.tenant_id = v.tenant_id AND n.vm_id = v.id
       ORDER BY n.vm_id, n.device`,
      [vms.map((v) => v.tenantId), vms.map((v) => v.id)],
    );
  }

  /** The NICs the VM should have on the pool: all but those being removed. */
  async listPlugs(tenantId: string, vmId: string): Promise<VmNicPlug[]> {
    return rows<VmNicPlug>(
      this.ds.manager,
      `SELECT ${PLUG_COLUMNS} FROM ${PLUG_FROM}
       WHERE n.tenant_id = $1 AND n.vm_id = $2 AND n.status <> 'detaching' ORDER BY n.device`,
      [tenantId, vmId],
    );
  }

  /** One NIC of the VM's, by its id; callers that change it hold the VM's row lock or its one operation. */
  async findOfVm(tenantId: string, vmId: string, nicId: string, q: EntityManager = this.ds.manager): Promise<VmNicPlug | null> {
    const row = await one<VmNicPlug>(q, `SELECT ${PLUG_COLUMNS} FROM ${PLUG_FROM} WHERE n.tenant_id = $1 AND n.vm_id = $2 AND n.id = $3`, [
      tenantId,
      vmId,
      nicId,
    ]);
    return row ?? null;
  }

  async setStatus(tx: EntityManager, tenantId: string, nicId: string, status: VmNicStatus): Promise<void> {
    await affected(tx, `UPDATE vm_nics SET status = $3 WHERE tenant_id = $1 AND id = $2`, [tenantId, nicId, status]);
  }

  /** Moves a NIC not yet plugged to another device slot; false when the slot is taken by another of the VM's NICs. */
  async moveDevice(tx: EntityManager, tenantId: string, nicId: string, device: number): Promise<boolean> {
    const n = await affected(
      tx,
      `UPDATE vm_nics SET device = $3 WHERE tenant_id = $1 AND id = $2
       AND NOT EXISTS (SELECT 1 FROM vm_nics o WHERE o.vm_id = vm_nics.vm_id AND o.device = $3)`,
      [tenantId, nicId, device],
    );
    return n > 0;
  }

  /** Gives one NIC's address and MAC back to its network: what it was (a public address?), or null when an earlier call already did. */
  async remove(tx: EntityManager, tenantId: string, nicId: string): Promise<{ provider: boolean } | null> {
    const row = await one<{ provider: boolean }>(
      tx,
      `DELETE FROM vm_nics WHERE tenant_id = $1 AND id = $2 RETURNING provider_network_id IS NOT NULL AS provider`,
      [tenantId, nicId],
    );
    return row ?? null;
  }

  /** Sets each NIC's guest-reported addresses (`byDevice`; a device left out has none); rows already so are untouched. */
  async recordGuestIps(q: EntityManager, tenantId: string, vmId: string, byDevice: Record<string, string[]>): Promise<void> {
    await affected(
      q,
      `UPDATE vm_nics n SET guest_ips = ${REPORTED} WHERE n.tenant_id = $1 AND n.vm_id = $2 AND n.guest_ips IS DISTINCT FROM ${REPORTED}`,
      [tenantId, vmId, JSON.stringify(byDevice)],
    );
  }

  /** `recordGuestIps` for many VMs, one statement per 500: a full view's reports. */
  async recordGuestIpsMany(q: EntityManager, seen: { tenantId: string; vmId: string; byDevice: Record<string, string[]> }[]): Promise<void> {
    for (let i = 0; i < seen.length; i += 500) {
      const batch = seen.slice(i, i + 500);
      await affected(
        q,
        `UPDATE vm_nics n SET guest_ips = ${reported('s.reported')}
         FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[]) AS s(tenant_id, vm_id, reported)
         WHERE n.tenant_id = s.tenant_id AND n.vm_id = s.vm_id AND n.guest_ips IS DISTINCT FROM ${reported('s.reported')}`,
        [batch.map((r) => r.tenantId), batch.map((r) => r.vmId), batch.map((r) => JSON.stringify(r.byDevice))],
      );
    }
  }

  /** Gives the VM's addresses and MACs back to their networks. */
  async releaseForVm(tx: EntityManager, tenantId: string, vmId: string): Promise<void> {
    await affected(tx, `DELETE FROM vm_nics WHERE tenant_id = $1 AND vm_id = $2`, [tenantId, vmId]);
  }
}
