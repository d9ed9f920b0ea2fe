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
    network: { key: number; vni: number; cidr: string; xapiUuid: string | null };
  }[];
  /** Newest report first: during a live migration the latest host wins. */
  bindings: { vmId: string; device: number; hostId: string; iface: string; ofport: number }[];
}

type NicRow = Omit<PoolDataplaneRows['nics'][number], 'network'> & { netKey: number; vni: number; cidr: string; netXapiUuid: string | null };

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
              w.flow_key AS "netKey", w.vni, w.cidr::text AS cidr, w.xapi_uuid AS "netXapiUuid"
       FROM vm_nics n JOIN networks w ON w.id = n.network_id JOIN vms v ON v.id = n.vm_id
       WHERE w.pool_id = $1 AND w.status <> 'deleted' ORDER BY n.flow_key`,
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
      nics: nics.map(({ netKey, vni, cidr, netXapiUuid, ...nic }) => ({ ...nic, network: { key: netKey, vni, cidr, xapiUuid: netXapiUuid } })),
      bindings,
    };
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
