import { refOrNull } from './xapi-refs.js';
import { text } from '../datamodel/text.js';

/** VM power states (XAPI enum `vm_power_state`). */
export type VmPowerState = 'Halted' | 'Paused' | 'Running' | 'Suspended';

/** The VM fields the control plane reads; refs normalised to null when unset. */
export interface VmRecord {
  uuid: string;
  name_label: string;
  power_state: VmPowerState;
  resident_on: string | null;
  is_a_template: boolean;
  is_a_snapshot: boolean;
  is_control_domain: boolean;
  other_config: Record<string, string>;
  xenstore_data: Record<string, string>;
  tags: string[];
  VBDs: string[];
  VIFs: string[];
  snapshots: string[];
  memory_static_min: number;
  memory_static_max: number;
  memory_dynamic_min: number;
  memory_dynamic_max: number;
  VCPUs_max: number;
  VCPUs_at_startup: number;
}

/** Capacity of one pool host, for placement. */
export interface HostCapacity {
  ref: string;
  uuid: string;
  name: string;
  address: string;
  enabled: boolean;
  /** from host_metrics.live; false when the host stopped heartbeating */
  live: boolean;
  memoryTotal: number;
  memoryFree: number;
  cpuCount: number;
  /** host.other_config: operators publish where the host's Open vSwitch is reached here (xenplane-ovsdb, ...). */
  otherConfig: Record<string, string>;
}

const str = (v: unknown): string => text(v);
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0) || 0);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str) : []);
const stringMap = (v: unknown): Record<string, string> =>
  typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x)])) : {};

/** Maps a raw (normalised) VM record to VmRecord. */
export function toVmRecord(raw: Record<string, unknown>): VmRecord {
  return {
    uuid: str(raw.uuid),
    name_label: str(raw.name_label),
    power_state: str(raw.power_state) as VmPowerState,
    resident_on: refOrNull(raw.resident_on),
    is_a_template: raw.is_a_template === true,
    is_a_snapshot: raw.is_a_snapshot === true,
    is_control_domain: raw.is_control_domain === true,
    other_config: stringMap(raw.other_config),
    xenstore_data: stringMap(raw.xenstore_data),
    tags: strings(raw.tags),
    VBDs: strings(raw.VBDs),
    VIFs: strings(raw.VIFs),
    snapshots: strings(raw.snapshots),
    memory_static_min: num(raw.memory_static_min),
    memory_static_max: num(raw.memory_static_max),
    memory_dynamic_min: num(raw.memory_dynamic_min),
    memory_dynamic_max: num(raw.memory_dynamic_max),
    VCPUs_max: num(raw.VCPUs_max),
    VCPUs_at_startup: num(raw.VCPUs_at_startup),
  };
}

/** Builds a HostCapacity from a host record and its host_metrics record (if readable). */
export function toHostCapacity(ref: string, host: Record<string, unknown>, metrics: Record<string, unknown> | undefined): HostCapacity {
  const cpuInfo = stringMap(host.cpu_info);
  return {
    ref,
    uuid: str(host.uuid),
    name: str(host.name_label),
    address: str(host.address),
    enabled: host.enabled !== false,
    live: metrics ? metrics.live !== false : false,
    memoryTotal: num(metrics?.memory_total),
    memoryFree: num(metrics?.memory_free),
    cpuCount: Number(cpuInfo.cpu_count) || strings(host.host_CPUs).length,
    otherConfig: stringMap(host.other_config),
  };
}

/** The enabled, live host with the most free memory that fits `memoryBytes`, or null when none fits. */
export function pickHostByFreeMemory(hosts: readonly HostCapacity[], memoryBytes: number): HostCapacity | null {
  let best: HostCapacity | null = null;
  for (const h of hosts) {
    if (!h.enabled || !h.live || h.memoryFree < memoryBytes) continue;
    if (!best || h.memoryFree > best.memoryFree) best = h;
  }
  return best;
}
