// Builds the initial pool: hosts with metrics and dom0, a shared default SR, networks with PIFs, templates.
import { createHash } from 'node:crypto';
import { createVm } from '../domain/vm-factory.js';
import { refreshHostMetrics } from '../domain/host-memory.js';
import { refreshHostAllowedOperations } from '../domain/host-ops.js';
import type { SimState } from '../sim/sim-state.js';
import { newRef } from '../util/ids.js';
import { nowXapiDate } from '../util/xapi-time.js';
import { linuxTemplates, templateRecord } from './templates.js';

const GiB = 1024 ** 3;
export const hostMemoryBytes = 64 * GiB;
export const dom0MemoryBytes = 4 * GiB;
export const srSizeBytes = 2 * 1024 * GiB;

// Host 1 (the master) is 127.0.0.1; the others get further loopback addresses (see POST /sim/master).
export function hostAddress(index: number): string {
  return `127.0.0.${index}`;
}

function fakeMac(seed: string): string {
  const b = createHash('sha256').update(seed).digest();
  return ['00', '16', '3e', b[0].toString(16).padStart(2, '0'), b[1].toString(16).padStart(2, '0'), b[2].toString(16).padStart(2, '0')].join(':');
}

export function seedPool(sim: SimState, hosts = sim.options.hosts): void {
  const { store } = sim;
  const srBytes = sim.options.srBytes ?? srSizeBytes;
  const srRef = newRef();
  const poolRef = newRef();
  const hostRefs = Array.from({ length: hosts }, () => newRef());
  const mgmtNet = store.create('network', {
    name_label: 'Pool-wide network associated with eth0',
    bridge: 'xenbr0',
    MTU: 1500,
    managed: true,
    other_config: {},
  });
  store.create('network', {
    name_label: 'Host internal management network',
    bridge: 'xenapi',
    MTU: 1500,
    managed: true,
    name_description: 'Network on which guests will be assigned a private link-local IP address which can be used to talk XenAPI',
    other_config: {
      is_guest_installer_network: 'true',
      is_host_internal_management_network: 'true',
      ip_begin: '169.254.0.1',
      ip_end: '169.254.255.254',
      netmask: '255.255.0.0',
    },
  });
  store.create(
    'SR',
    {
      name_label: 'Shared storage',
      name_description: 'Simulated shared block storage',
      type: 'lvmoiscsi',
      content_type: '',
      shared: true,
      physical_size: srBytes,
      physical_utilisation: 0,
      virtual_allocation: 0,
      sm_config: { allocation: 'thick', use_vhd: 'true' },
      allowed_operations: ['vdi_create', 'vdi_destroy', 'vdi_resize', 'vdi_clone', 'vdi_snapshot', 'scan', 'plug', 'unplug', 'update'],
    },
    srRef,
  );
  // A second, thin (file-based VHD) SR: VDI.copy and VM.copy to another SR, physical_utilisation following the data.
  const nfsRef = store.create('SR', {
    name_label: 'NFS storage',
    name_description: 'Simulated NFS VHD storage',
    type: 'nfs',
    content_type: 'user',
    shared: true,
    physical_size: srBytes,
    physical_utilisation: 0,
    virtual_allocation: 0,
    sm_config: {},
    allowed_operations: ['vdi_create', 'vdi_destroy', 'vdi_resize', 'vdi_clone', 'vdi_snapshot', 'scan', 'plug', 'unplug', 'update'],
  });
  hostRefs.forEach((hostRef, i) => seedHost(sim, hostRef, i + 1, srRef, mgmtNet));
  for (const host of hostRefs)
    store.create('PBD', { host, SR: nfsRef, device_config: { server: '127.0.0.1', serverpath: '/srv/sim' }, currently_attached: true });
  store.create(
    'pool',
    {
      name_label: 'sim-pool',
      name_description: 'Simulated XAPI pool',
      master: hostRefs[0],
      default_SR: srRef,
      suspend_image_SR: srRef,
      crash_dump_SR: srRef,
      other_config: {},
      cpu_info: { cpu_count: String(16 * hostRefs.length), socket_count: String(2 * hostRefs.length), vendor: 'GenuineIntel' },
      restrictions: { restrict_pool_size: 'false' },
      ha_cluster_stack: 'xhad',
    },
    poolRef,
  );
  for (const spec of linuxTemplates) createVm(sim, templateRecord(spec));
  sim.poolRef = poolRef;
  sim.hostRefs = hostRefs;
  for (const h of hostRefs) {
    refreshHostMetrics(sim, h);
    refreshHostAllowedOperations(sim, h);
  }
}

function seedHost(sim: SimState, hostRef: string, index: number, srRef: string, networkRef: string): void {
  const { store } = sim;
  const name = `sim-host-${index}`;
  const address = hostAddress(index);
  const metrics = store.create('host_metrics', {
    memory_total: hostMemoryBytes,
    memory_free: hostMemoryBytes,
    live: true,
    last_updated: nowXapiDate(),
  });
  store.create(
    'host',
    {
      name_label: name,
      name_description: 'Simulated XAPI host',
      hostname: name,
      address,
      enabled: true,
      metrics,
      API_version_major: sim.release.major,
      API_version_minor: sim.release.minor,
      API_version_vendor: 'XenSource',
      software_version: {
        product_brand: 'XCP-ng',
        product_version: sim.release.productVersion,
        platform_name: 'XCP',
        platform_version: sim.release.platformVersion,
        xapi: sim.release.xapi,
        xen: '4.17.4',
        hostname: name,
        build_number: 'xapi-sim',
      },
      cpu_info: {
        cpu_count: '16',
        socket_count: '2',
        vendor: 'GenuineIntel',
        speed: '2600.000',
        modelname: 'Simulated CPU',
        family: '6',
        model: '85',
        stepping: '4',
      },
      capabilities: ['xen-3.0-x86_64', 'hvm-3.0-x86_32', 'hvm-3.0-x86_64'],
      sched_policy: 'credit',
      edition: 'xcp-ng',
      suspend_image_sr: srRef,
      crash_dump_sr: srRef,
      display: 'enabled',
      iscsi_iqn: `iqn.2024-01.sim.xenplane:${name}`,
      allowed_operations: ['provision', 'evacuate', 'shutdown', 'reboot', 'vm_start', 'vm_resume', 'vm_migrate'],
      other_config: { agent_start_time: String(Math.floor(Date.now() / 1000)) },
    },
    hostRef,
  );
  // dom0 after its host, so host.resident_VMs picks it up.
  const dom0 = createVm(sim, {
    name_label: `Control domain on host: ${name}`,
    name_description: 'The domain which manages physical devices and manages other domains',
    is_control_domain: true,
    power_state: 'Running',
    resident_on: hostRef,
    domid: 0,
    domain_type: 'pv',
    memory_static_min: dom0MemoryBytes,
    memory_dynamic_min: dom0MemoryBytes,
    memory_dynamic_max: dom0MemoryBytes,
    memory_static_max: dom0MemoryBytes,
    memory_target: dom0MemoryBytes,
    VCPUs_max: 4,
    VCPUs_at_startup: 4,
    actions_after_shutdown: 'destroy',
    actions_after_reboot: 'restart',
    actions_after_crash: 'restart',
  });
  store.update('host', hostRef, { control_domain: dom0 });
  store.create('PBD', { host: hostRef, SR: srRef, device_config: {}, currently_attached: true });
  store.create('PIF', {
    device: 'eth0',
    network: networkRef,
    host: hostRef,
    MAC: fakeMac(name),
    MTU: 1500,
    VLAN: -1,
    physical: true,
    currently_attached: true,
    ip_configuration_mode: 'Static',
    IP: address,
    netmask: '255.0.0.0',
    gateway: '',
    management: true,
    primary_address_type: 'IPv4',
    managed: true,
  });
}
