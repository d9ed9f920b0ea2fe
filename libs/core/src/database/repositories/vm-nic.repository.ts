import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, one, rows } from '../sql.js';

export interface VmNic {
  vmId: string;
  networkId: string;
  device: number;
  mac: string;
  ip: string;
  /** What the guest's agent reports on this NIC (VM_guest_metrics.networks), as the watcher last saw it */
  guestIps: string[];
}

/** A NIC with what the worker needs to plug it: the XAPI network and the subnet's prefix length. */
export interface VmNicPlug extends VmNic {
  networkXapiUuid: string | null;
  prefix: number;
}

/** Where addresses may be handed out: offsets from the network address, first and last inclusive. */
export interface AddressRange {
  networkAddress: string;
  firstOffset: number;
  lastOffset: number;
}

const NIC_COLUMNS = `n.vm_id AS "vmId", n.network_id AS "networkId", n.device, n.mac::text AS mac, host(n.ip) AS ip, n.guest_ips AS "guestIps"`;
// The addresses reported for the NIC's device in $3 (a JSON object: device → addresses), none when it is absent.
const REPORTED = `coalesce(ARRAY(SELECT jsonb_array_elements_text($3::jsonb -> n.device::text)), '{}')`;

/** VM NICs and the addresses they hold; writes take the transaction first, then every method the tenant id. */
@Injectable()
export class VmNicRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /**
   * Inserts the NIC with the lowest free address in `range`. Null when a concurrent create took that address (or
   * the MAC) first or the range is full: the unique indexes answer without aborting `tx`, and the caller retries.
   */
  async insertWithFreeIp(tx: EntityManager, tenantId: string, nic: Omit<VmNic, 'ip' | 'guestIps'>, range: AddressRange): Promise<string | null> {
    const row = await one<{ ip: string }>(
      tx,
      `WITH used AS (SELECT (ip - $6::inet) AS k FROM vm_nics WHERE network_id = $3),
       free AS (SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM used WHERE k = $7) THEN $7::bigint
         ELSE (SELECT min(u.k) + 1 FROM used u WHERE NOT EXISTS (SELECT 1 FROM used w WHERE w.k = u.k + 1)) END AS k)
       INSERT INTO vm_nics (vm_id, tenant_id, network_id, device, mac, ip)
       SELECT $1, $2, $3, $4, $5::macaddr, $6::inet + free.k FROM free WHERE free.k <= $8
       ON CONFLICT DO NOTHING RETURNING host(ip) AS ip`,
      [nic.vmId, tenantId, nic.networkId, nic.device, nic.mac, range.networkAddress, range.firstOffset, range.lastOffset],
    );
    return row?.ip ?? null;
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

  async listPlugs(tenantId: string, vmId: string): Promise<VmNicPlug[]> {
    return rows<VmNicPlug>(
      this.ds.manager,
      `SELECT ${NIC_COLUMNS}, net.xapi_uuid AS "networkXapiUuid", masklen(net.cidr) AS prefix
       FROM vm_nics n JOIN networks net ON net.id = n.network_id
       WHERE n.tenant_id = $1 AND n.vm_id = $2 ORDER BY n.device`,
      [tenantId, vmId],
    );
  }

  /** Sets each NIC's guest-reported addresses (`byDevice`; a device left out has none); rows already so are untouched. */
  async recordGuestIps(q: EntityManager, tenantId: string, vmId: string, byDevice: Record<string, string[]>): Promise<void> {
    await affected(
      q,
      `UPDATE vm_nics n SET guest_ips = ${REPORTED} WHERE n.tenant_id = $1 AND n.vm_id = $2 AND n.guest_ips IS DISTINCT FROM ${REPORTED}`,
      [tenantId, vmId, JSON.stringify(byDevice)],
    );
  }

  /** Gives the VM's addresses and MACs back to their networks. */
  async releaseForVm(tx: EntityManager, tenantId: string, vmId: string): Promise<void> {
    await affected(tx, `DELETE FROM vm_nics WHERE tenant_id = $1 AND vm_id = $2`, [tenantId, vmId]);
  }
}
