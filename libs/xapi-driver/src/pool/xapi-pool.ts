import { isXapiError } from '../errors/xapi-error.js';
import type { XapiClient } from '../client/xapi-client.js';
import { pickHostByFreeMemory, toHostCapacity, toVmRecord, type HostCapacity, type VmRecord } from './pool-records.js';
import { completeClone, resolveTemplate, setMemory, setVcpus, type ProvisionOutcome, type ProvisionSpec } from './vm-provisioner.js';
import { PoolRefs } from './pool-refs.js';
import { XapiError } from '../errors/xapi-error.js';
import * as lifecycle from './vm-lifecycle.js';
import * as networks from './network-ops.js';
import * as vlans from './vlan-ops.js';
import { findRootDisk, listTemplateDisks, type TemplateDisk } from './template-disks.js';
import type { NetworkHandle, NetworkSpec, VifSpec } from './network-ops.js';
import type { Duplex } from 'node:stream';
import type { ConsoleStreamOptions } from '../client/console-stream.js';
import { openVmConsole, vmConsole, type ConsoleHandle } from './console-ops.js';
import * as migration from './migration-ops.js';
import type { EvacuateOptions, EvacuationBlocker, MigrateOptions } from './migration-ops.js';

/** A VM's handles: the ref for this session, the uuid to persist. */
export interface VmHandle {
  ref: string;
  uuid: string;
}

/** High-level operations on one pool, as used by the worker's sagas. All are safe to repeat. */
export class XapiPool {
  /** Template, network, host and SR refs, looked up once per connection (see PoolRefs). */
  readonly refs = new PoolRefs();

  constructor(readonly client: XapiClient) {}

  /** The host's ref by uuid, looked up once. */
  hostRef(uuid: string): Promise<string> {
    return this.refs.get(`host:${uuid}`, () => this.client.call<string>('host.get_by_uuid', uuid));
  }

  /** The pool's default SR, looked up once (null ref when it names none). */
  defaultSrRef(): Promise<string> {
    return this.refs.get('default-sr', async () => {
      const [poolRef] = await this.client.call<string[]>('pool.get_all');
      return poolRef ? this.client.call<string>('pool.get_default_SR', poolRef) : 'OpaqueRef:NULL';
    });
  }

  /** Cheap readiness check: logs in (if needed) and lists the pool. */
  async ping(): Promise<void> {
    await this.client.call('pool.get_all');
  }

  /** The first non-snapshot VM (templates included, real VMs preferred) whose other_config[key] === value. */
  async findVmByOtherConfig(key: string, value: string): Promise<VmHandle | null> {
    const all = await this.client.call<Record<string, Record<string, unknown>>>('VM.get_all_records');
    let found: VmHandle | null = null;
    for (const [ref, raw] of Object.entries(all)) {
      const vm = toVmRecord(raw);
      if (vm.is_a_snapshot || vm.is_control_domain || vm.other_config[key] !== value) continue;
      // a clone still waiting for VM.provision is a template; a finished VM wins over it
      if (!vm.is_a_template) return { ref, uuid: vm.uuid };
      found ??= { ref, uuid: vm.uuid };
    }
    return found;
  }

  /** Starts a VM (XAPI picks the host unless `hostRef`); already running = done (false: not started here, so not on `hostRef` for sure). */
  startVm(ref: string, hostRef?: string): Promise<boolean> {
    return lifecycle.startVm(this.client, ref, hostRef);
  }

  /** Clean shutdown with hard fallback after `cleanTimeoutMs` (default 60 s); already halted = done. */
  shutdownVm(ref: string, opts: { cleanTimeoutMs?: number } = {}): Promise<void> {
    return lifecycle.shutdownVm(this.client, ref, opts.cleanTimeoutMs);
  }

  /** Clean reboot with hard fallback. */
  rebootVm(ref: string, opts: { cleanTimeoutMs?: number } = {}): Promise<void> {
    return lifecycle.rebootVm(this.client, ref, opts.cleanTimeoutMs);
  }

  /** Destroys the VM and the VDIs only it used; a VM already gone counts as destroyed. */
  destroyVm(ref: string): Promise<void> {
    return lifecycle.destroyVm(this.client, ref);
  }

  /** The typed subset of a VM record. */
  async getVm(ref: string): Promise<VmRecord> {
    return toVmRecord(await this.client.call<Record<string, unknown>>('VM.get_record', ref));
  }

  /** Looks a VM up by uuid (what we persist); null when there is none. */
  async getVmByUuid(uuid: string): Promise<{ ref: string; record: VmRecord } | null> {
    try {
      const ref = await this.client.call<string>('VM.get_by_uuid', uuid);
      return { ref, record: await this.getVm(ref) };
    } catch (e) {
      if (isXapiError(e, 'UUID_INVALID', 'HANDLE_INVALID')) return null;
      throw e;
    }
  }

  /** All hosts with their memory and CPU capacity (from host_metrics). */
  async listHosts(): Promise<HostCapacity[]> {
    const hosts = await this.client.call<Record<string, Record<string, unknown>>>('host.get_all_records');
    const metrics = await this.client.call<Record<string, Record<string, unknown>>>('host_metrics.get_all_records');
    return Object.entries(hosts)
      .map(([ref, h]) => toHostCapacity(ref, h, metrics[h.metrics as string]))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every template with the size of the boot disk its clones get (what a VM's disk can be no smaller than). */
  listTemplates(): Promise<TemplateDisk[]> {
    return listTemplateDisks(this.client);
  }

  /** The size of a VM's boot disk in bytes, or null when it has none. */
  async rootDiskBytes(ref: string): Promise<number | null> {
    return (await findRootDisk(this.client, await this.client.call<string[]>('VM.get_VBDs', ref)))?.bytes ?? null;
  }

  /** Free bytes on the pool's default SR (physical size less utilisation); null when the pool names none. */
  async defaultSrFreeBytes(): Promise<number | null> {
    const [poolRef] = await this.client.call<string[]>('pool.get_all');
    const sr = poolRef ? await this.client.call<string>('pool.get_default_SR', poolRef) : null;
    if (!sr || sr === 'OpaqueRef:NULL') return null;
    const [size, used] = await Promise.all([
      this.client.call<number | string>('SR.get_physical_size', sr),
      this.client.call<number | string>('SR.get_physical_utilisation', sr),
    ]);
    return Math.max(0, Number(size) - Number(used));
  }

  /** The enabled, live host with the most free memory able to hold `memoryBytes`, or null. */
  async placeVm(memoryBytes: number): Promise<HostCapacity | null> {
    return pickHostByFreeMemory(await this.listHosts(), memoryBytes);
  }

  /**
   * Step 1 of a resumable provisioning: clones the template under `marker` as its name_label, which the clone sets
   * atomically, so a saga killed right after the clone still finds it (see findVmByNameLabel).
   */
  async cloneTemplate(template: string, marker: string): Promise<VmHandle & { record: VmRecord }> {
    const lookup = () => resolveTemplate(this.client, template);
    const ref = await this.refs.using(`template:${template}`, lookup, (t) => this.client.callLong<string>('VM.clone', t, marker));
    // one read gives the uuid to persist and all that completing the clone needs
    const record = await this.getVm(ref);
    return { ref, uuid: record.uuid, record };
  }

  /**
   * Step 2, repeatable: our keys, provision, memory, vCPUs, final name, tags, xenstore_data. `known`: the clone's
   * record as cloneTemplate read it (nothing has changed it since), else it is read here.
   */
  completeProvisioning(ref: string, spec: Omit<ProvisionSpec, 'template'>, known?: VmRecord): Promise<ProvisionOutcome> {
    return completeClone(this.client, ref, { ...spec, template: '' }, known, () => this.defaultSrRef());
  }

  /** The non-snapshot VM named exactly `nameLabel` (a saga's clone marker), or null. */
  async findVmByNameLabel(nameLabel: string): Promise<VmHandle | null> {
    const refs = await this.client.call<string[]>('VM.get_by_name_label', nameLabel);
    for (const ref of refs) {
      // only a VM destroyed since the look-up is "not this one": any other error must not hide a half-made clone
      const vm = await this.getVm(ref).catch((e: unknown) => {
        if (isXapiError(e, 'HANDLE_INVALID')) return null;
        throw e;
      });
      if (vm && !vm.is_a_snapshot && !vm.is_control_domain) return { ref, uuid: vm.uuid };
    }
    return null;
  }

  /** The network another attempt may have made, found by an other_config key holding our id; null if none. */
  findNetworkByOtherConfig(key: string, value: string): Promise<NetworkHandle | null> {
    return networks.findNetworkByOtherConfig(this.client, key, value);
  }

  createNetwork(spec: NetworkSpec): Promise<NetworkHandle> {
    return networks.createNetwork(this.client, spec);
  }

  /** Destroys a network; one already gone counts as destroyed. */
  destroyNetwork(ref: string): Promise<void> {
    return networks.destroyNetwork(this.client, ref);
  }

  /** The network (by uuid) with the bridge its traffic leaves on and its VLAN tag. */
  uplinkOf(networkUuid: string): Promise<vlans.Uplink> {
    return vlans.uplinkOf(this.client, networkUuid);
  }

  /** A network with a VLAN `vlan` on every host's PIF of the network `pifUuid` is on. */
  createVlanNetwork(pifUuid: string, vlan: number, spec: NetworkSpec): Promise<NetworkHandle> {
    return vlans.createVlanNetwork(this.client, pifUuid, vlan, spec);
  }

  /** Destroys a VLAN network we made: its VLANs, then the network. */
  destroyVlanNetwork(ref: string): Promise<void> {
    return vlans.destroyVlanNetwork(this.client, ref);
  }

  /** Gives the VM a VIF at `spec.device` on the network unless it has one there; returns the VIF ref. */
  ensureVif(vmRef: string, spec: VifSpec, knownVifs?: string[]): Promise<string> {
    const lookup = () => this.client.call<string>('network.get_by_uuid', spec.networkUuid);
    return this.refs.using(`network:${spec.networkUuid}`, lookup, (network) => networks.ensureVif(this.client, vmRef, spec, network, knownVifs));
  }

  /** The VM's VIFs by device, each with xapi's allowed operations. */
  vifsOf(vmRef: string): Promise<networks.VifOfVm[]> {
    return networks.vifsOfVm(this.client, vmRef);
  }

  /** VIF.plug (async): on a running HVM guest xapi needs PV drivers (xapi_vif_helpers.ml). */
  async plugVif(vifRef: string): Promise<void> {
    await this.client.callAsync('VIF.plug', vifRef);
  }

  async unplugVif(vifRef: string): Promise<void> {
    await this.client.callAsync('VIF.unplug', vifRef);
  }

  /** Destroys a VIF; gone already = done. */
  destroyVif(vifRef: string): Promise<void> {
    return networks.destroyVif(this.client, vifRef);
  }

  allowedVifDevices(vmRef: string): Promise<string[]> {
    return this.client.call<string[]>('VM.get_allowed_VIF_devices', vmRef);
  }

  removeXenstoreKey(vmRef: string, key: string): Promise<void> {
    return networks.removeXenstoreKey(this.client, vmRef, key);
  }

  /** Sets one xenstore_data key of a VM (what the guest reads its configuration from). */
  setXenstoreKey(vmRef: string, key: string, value: string): Promise<void> {
    return networks.setXenstoreKey(this.client, vmRef, key, value);
  }

  /** The VM's console record of `protocol` (default rfb); NO_CONSOLE if it has none (a halted VM has none). */
  vmConsole(vmRef: string, protocol?: ConsoleHandle['protocol']): Promise<ConsoleHandle> {
    return vmConsole(this.client, vmRef, protocol);
  }

  /** A byte stream to the VM's console (raw RFB for rfb) over CONNECT or WebSocket; the session stays inside. */
  openVmConsole(vmRef: string, options: ConsoleStreamOptions & { protocol?: ConsoleHandle['protocol'] } = {}): Promise<Duplex> {
    return openVmConsole(this.client, vmRef, options);
  }

  /** Live migration within the pool; a VM already on `hostRef` is left alone. */
  migrateVm(vmRef: string, hostRef: string, opts?: MigrateOptions): Promise<void> {
    return migration.migrateVm(this.client, vmRef, hostRef, opts);
  }

  /** Rejects with XAPI's reason if the VM could not live-migrate to `hostRef` now. */
  assertCanMigrate(vmRef: string, hostRef: string, opts?: MigrateOptions): Promise<void> {
    return migration.assertCanMigrate(this.client, vmRef, hostRef, opts);
  }

  /** Migrates every VM off the host (the pool's host.evacuate signature is probed, see callVersioned). */
  evacuateHost(hostRef: string, opts?: EvacuateOptions): Promise<void> {
    return migration.evacuateHost(this.client, hostRef, opts);
  }

  /** The VMs that would stop an evacuation, each with XAPI's reason; empty when it can go ahead. */
  vmsPreventingEvacuation(hostRef: string): Promise<Record<string, EvacuationBlocker>> {
    return migration.vmsPreventingEvacuation(this.client, hostRef);
  }

  async assertCanEvacuate(hostRef: string): Promise<void> {
    await this.client.call('host.assert_can_evacuate', hostRef);
  }

  /** No new VMs start on a disabled host (HOST_DISABLED); running ones stay. Repeating it is harmless. */
  async disableHost(hostRef: string): Promise<void> {
    await this.client.call('host.disable', hostRef);
  }

  async enableHost(hostRef: string): Promise<void> {
    await this.client.call('host.enable', hostRef);
  }

  /** The guests the host's records show (dom0 excluded); a dead host's stay until each is reset. */
  async residentGuests(hostRef: string): Promise<Array<{ ref: string; record: VmRecord }>> {
    const out = [];
    for (const ref of await this.client.call<string[]>('host.get_resident_VMs', hostRef)) {
      const record = await this.getVm(ref);
      if (!record.is_control_domain) out.push({ ref, record });
    }
    return out;
  }

  /** VM.power_state_reset: Halted in the records; the pool refuses it (HOST_IS_LIVE) while the VM's host is alive. */
  async resetPowerState(ref: string): Promise<void> {
    await this.client.call('VM.power_state_reset', ref);
  }

  /**
   * Resizes a VM: all limits (and the boot disk, grown only) when halted; live within its static maximums when running
   * (more, or a disk growth, which xapi refuses on an attached disk with VDI_IN_USE, is reported as the driver code
   * LIVE_RESIZE_EXCEEDS_MAXIMUM). Repeating it is harmless.
   */
  async resizeVm(ref: string, spec: ResizeSpec): Promise<void> {
    const vm = await this.getVm(ref);
    const max = spec.liveMax ?? { vcpus: spec.vcpus, memoryBytes: spec.memoryBytes };
    const root = spec.rootDiskBytes ? await findRootDisk(this.client, await this.client.call<string[]>('VM.get_VBDs', ref)) : null;
    const diskGrows = root !== null && spec.rootDiskBytes !== undefined && root.bytes < spec.rootDiskBytes;
    if (vm.power_state === 'Halted') {
      if (diskGrows) await this.client.call('VDI.resize', root.vdi, spec.rootDiskBytes);
      if (vm.memory_static_max !== max.memoryBytes || vm.memory_dynamic_max !== spec.memoryBytes)
        await setMemory(this.client, ref, spec.memoryBytes, max.memoryBytes, vm.memory_static_min);
      if (vm.VCPUs_max !== max.vcpus || vm.VCPUs_at_startup !== spec.vcpus) await setVcpus(this.client, ref, spec.vcpus, max.vcpus, vm.VCPUs_max);
      return;
    }
    if (spec.vcpus > vm.VCPUs_max || spec.memoryBytes > vm.memory_static_max || diskGrows) {
      throw new XapiError('LIVE_RESIZE_EXCEEDS_MAXIMUM', [String(vm.VCPUs_max), String(vm.memory_static_max)], 'VM.set_VCPUs_number_live');
    }
    if (vm.VCPUs_at_startup !== spec.vcpus) await this.client.call('VM.set_VCPUs_number_live', ref, spec.vcpus);
    if (vm.memory_dynamic_max !== spec.memoryBytes) await this.client.call('VM.set_memory_dynamic_range', ref, spec.memoryBytes, spec.memoryBytes);
  }
}

/** The sizes a resize brings a VM to. */
export interface ResizeSpec {
  vcpus: number;
  memoryBytes: number;
  /** VCPUs_max and memory_static_max to set when halted; default the sizes themselves */
  liveMax?: { vcpus: number; memoryBytes: number };
  /** The boot disk grows to this (never shrinks); only while halted */
  rootDiskBytes?: number;
}
