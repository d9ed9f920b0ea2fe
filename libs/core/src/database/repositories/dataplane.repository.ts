import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { affected, rows } from '../sql.js';

/** A host whose OVS the worker can program (its endpoints came from XAPI host other_config). */
export interface OvsHostRow {
  id: string;
  poolId: string;
  key: number;
  ovsdb: string;
  openflow: string;
  bridge: string;
  tunnelIp: string | null;
}

/** One pool's data plane inputs; shapes match libs/network's PoolDataplaneView. */
export interface PoolDataplaneRows {
  hosts: { id: string; key: number; tunnelIp: string | null }[];
  nics: {
    vmId: string;
    device: number;
    portKey: number;
    mac: string;
    ip: string;
    vmXapiUuid: string | null;
    network: {
      key: number;
      vni: number;
      cidr: string;
      xapiUuid: string | null;
      /** Issue 16: a provider network's uplink (bridge, edge VLAN tag) and external gateway. */
      provider?: { bridge: string; vlanTag: number | null; gateway: string };
    };
  }[];
  /** Newest report first: during a live migration the latest host wins. */
  bindings: { vmId: string; device: number; hostId: string; iface: string; ofport: number }[];
  /** The uplink bridges of the pool's active provider networks. */
  uplinks: string[];
  /** Security groups of the tenants with NICs in the pool (rules by flow keys) and the NICs' memberships. */
  security: {
    groups: { key: number; rules: SgRuleRow[] }[];
    memberships: { vmId: string; device: number; groupKey: number }[];
  };
}

interface SgRuleRow {
  key: number;
  direction: 'ingress' | 'egress';
  protocol: 'tcp' | 'udp' | 'icmp' | 'any';
  portMin: number | null;
  portMax: number | null;
  remoteCidr: string | null;
  remoteGroupKey: number | null;
}

// A NIC is on a tenant network or a provider network: both joined, so security groups cover provider NICs too.
const NIC_NETWORKS = `LEFT JOIN networks w ON w.id = n.network_id LEFT JOIN provider_networks p ON p.id = n.provider_network_id`;
const IN_POOL = `((w.pool_id = $1 AND w.status <> 'deleted') OR (p.pool_id = $1 AND p.status = 'active' AND p.bridge IS NOT NULL))`;

type NicRow = Omit<PoolDataplaneRows['nics'][number], 'network'> & {
  netKey: number;
  vni: number;
  cidr: string;
  netXapiUuid: string | null;
  bridge: string | null;
  vlanTag: number | null;
  gateway: string | null;
};

/**
 * Provider networks' register keys start here, apart from tenant networks' (both are identity columns from 1), and
 * within 16 bits while tenant networks stay below it, so a conntrack zone taken from reg6[0..15] is never shared.
 */
export const PROVIDER_NETWORK_KEY_BASE = 0x8000;

/** Reads for the OVS reconcilers and the bindings they observe. Cross-tenant by design: it serves the data plane. */
@Injectable()
export class DataplaneRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Every host with OVS endpoints, live or not (a down host's reconciler just keeps retrying). */
  ovsHosts(): Promise<OvsHostRow[]> {
    return rows<OvsHostRow>(
      this.ds.manager,
      `SELECT id, pool_id AS "poolId", flow_key AS key, ovsdb_target AS ovsdb, openflow_target AS openflow,
              COALESCE(bridge, 'br-int') AS bridge, host(tunnel_ip) AS "tunnelIp"
       FROM hosts WHERE ovsdb_target IS NOT NULL AND openflow_target IS NOT NULL ORDER BY flow_key`,
    );
  }

  /** The pool's hosts, the NICs on its live networks and their observed bindings; one snapshot when `tx` is REPEATABLE READ. */
  async poolView(tx: EntityManager, poolId: string): Promise<PoolDataplaneRows> {
    const hosts = await rows<PoolDataplaneRows['hosts'][number]>(
      tx,
      `SELECT id, flow_key AS key, host(tunnel_ip) AS "tunnelIp" FROM hosts WHERE pool_id = $1 ORDER BY flow_key`,
      [poolId],
    );
    const nics = await rows<NicRow>(
      tx,
      `SELECT n.vm_id AS "vmId", n.device, n.flow_key AS "portKey", n.mac::text AS mac, host(n.ip) AS ip, v.xapi_uuid AS "vmXapiUuid",
              coalesce(w.flow_key, ${PROVIDER_NETWORK_KEY_BASE} + p.flow_key) AS "netKey", coalesce(w.vni, 0) AS vni,
              coalesce(w.cidr, p.cidr)::text AS cidr, coalesce(w.xapi_uuid, p.xapi_network_uuid) AS "netXapiUuid",
              p.bridge, p.vlan_tag AS "vlanTag", host(p.gateway) AS gateway
       FROM vm_nics n JOIN vms v ON v.id = n.vm_id
       ${NIC_NETWORKS}
       WHERE ${IN_POOL}
       ORDER BY n.flow_key`,
      [poolId],
    );
    const uplinks = await rows<{ bridge: string }>(
      tx,
      `SELECT DISTINCT bridge FROM provider_networks WHERE pool_id = $1 AND status = 'active' AND bridge IS NOT NULL ORDER BY bridge`,
      [poolId],
    );
    const bindings = await rows<PoolDataplaneRows['bindings'][number]>(
      tx,
      `SELECT b.vm_id AS "vmId", b.device, b.host_id AS "hostId", b.iface, b.ofport
       FROM nic_bindings b JOIN hosts h ON h.id = b.host_id WHERE h.pool_id = $1 ORDER BY b.seen_at DESC, b.host_id`,
      [poolId],
    );
    return {
      hosts,
      security: await this.poolSecurity(tx, poolId),
      nics: nics.map(({ netKey, vni, cidr, netXapiUuid, bridge, vlanTag, gateway, ...nic }) => ({
        ...nic,
        network: { key: netKey, vni, cidr, xapiUuid: netXapiUuid, ...(bridge ? { provider: { bridge, vlanTag, gateway: gateway! } } : {}) },
      })),
      bindings,
      uplinks: uplinks.map((u) => u.bridge),
    };
  }

  /** The security groups that matter on the pool's hosts: those of every tenant with a NIC there. */
  private async poolSecurity(tx: EntityManager, poolId: string): Promise<PoolDataplaneRows['security']> {
    const memberships = await rows<{ vmId: string; device: number; groupKey: number }>(
      tx,
      `SELECT s.vm_id AS "vmId", s.device, g.flow_key AS "groupKey"
       FROM vm_nic_security_groups s JOIN security_groups g ON g.id = s.group_id
       JOIN vm_nics n ON n.vm_id = s.vm_id AND n.device = s.device ${NIC_NETWORKS}
       WHERE ${IN_POOL} ORDER BY g.flow_key, s.vm_id, s.device`,
      [poolId],
    );
    const rules = await rows<SgRuleRow & { groupKey: number }>(
      tx,
      `SELECT g.flow_key AS "groupKey", r.flow_key AS key, r.direction, r.protocol, r.port_min AS "portMin", r.port_max AS "portMax",
              CASE WHEN r.remote_cidr IS NULL THEN NULL ELSE host(r.remote_cidr) || '/' || masklen(r.remote_cidr) END AS "remoteCidr",
              rg.flow_key AS "remoteGroupKey"
       FROM security_groups g JOIN security_group_rules r ON r.group_id = g.id LEFT JOIN security_groups rg ON rg.id = r.remote_group_id
       WHERE g.tenant_id IN (SELECT n.tenant_id FROM vm_nics n ${NIC_NETWORKS} WHERE ${IN_POOL})
       ORDER BY g.flow_key, r.flow_key`,
      [poolId],
    );
    const groups = new Map<number, SgRuleRow[]>();
    for (const { groupKey, ...rule } of rules) groups.set(groupKey, [...(groups.get(groupKey) ?? []), rule]);
    for (const m of memberships) if (!groups.has(m.groupKey)) groups.set(m.groupKey, []);
    return { groups: [...groups].map(([key, r]) => ({ key, rules: r })), memberships };
  }

  /** Makes the host's bindings exactly `bindings` (NICs deleted meanwhile are skipped by the join); `tx` makes it one change. */
  async replaceBindings(
    tx: EntityManager,
    hostId: string,
    bindings: { vmId: string; device: number; iface: string; ofport: number }[],
  ): Promise<void> {
    await affected(
      tx,
      `DELETE FROM nic_bindings b WHERE b.host_id = $1
       AND NOT EXISTS (SELECT 1 FROM unnest($2::uuid[], $3::int[]) AS k(vm_id, device) WHERE k.vm_id = b.vm_id AND k.device = b.device)`,
      [hostId, bindings.map((b) => b.vmId), bindings.map((b) => b.device)],
    );
    if (!bindings.length) return;
    await affected(
      tx,
      `INSERT INTO nic_bindings (vm_id, device, host_id, iface, ofport)
       SELECT k.vm_id, k.device, $1, k.iface, k.ofport FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[]) AS k(vm_id, device, iface, ofport)
       JOIN vm_nics n ON n.vm_id = k.vm_id AND n.device = k.device
       ON CONFLICT (vm_id, device, host_id) DO UPDATE SET iface = EXCLUDED.iface, ofport = EXCLUDED.ofport, seen_at = now()
       WHERE (nic_bindings.iface, nic_bindings.ofport) IS DISTINCT FROM (EXCLUDED.iface, EXCLUDED.ofport)`,
      [hostId, bindings.map((b) => b.vmId), bindings.map((b) => b.device), bindings.map((b) => b.iface), bindings.map((b) => b.ofport)],
    );
  }
}
