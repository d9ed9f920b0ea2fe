// Creating VMs the way xapi does: every VM gets its own VM_metrics, and allowed_operations from its state.
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, newUuid } from '../util/ids.js';
import { EPOCH, nowXapiDate } from '../util/xapi-time.js';
import { computeAllowedOperations } from './vm-lifecycle.js';
import { scalar } from '../datamodel/defaults.js';

export function createVm(sim: SimState, values: XRecord): string {
  const running = values.power_state === 'Running';
  const metrics = sim.store.create('VM_metrics', {
    memory_actual: running ? Number(values.memory_target ?? 0) : 0,
    VCPUs_number: running ? Number(values.VCPUs_at_startup ?? 0) : 0,
    start_time: running ? nowXapiDate() : EPOCH,
    install_time: nowXapiDate(),
    last_updated: nowXapiDate(),
  });
  const record: XRecord = { domid: -1, user_version: 1, power_state: 'Halted', ...values, metrics, guest_metrics: NULL_REF };
  // computed on the record before it is stored: one change per new VM (populate makes 10,000)
  record.allowed_operations = computeAllowedOperations(sim, '', sim.store.preview('VM', record));
  return sim.store.create('VM', record);
}

// Fields a clone/copy must not inherit: identity, runtime state and device lists (re-created separately).
const notCopied = new Set([
  'uuid',
  'name_label',
  'allowed_operations',
  'current_operations',
  'power_state',
  'resident_on',
  'scheduled_to_be_resident_on',
  'domid',
  'metrics',
  'guest_metrics',
  'VBDs',
  'VIFs',
  'consoles',
  'crash_dumps',
  'VTPMs',
  'VUSBs',
  'snapshots',
  'children',
  'snapshot_of',
  'is_a_snapshot',
  'parent',
  'blocked_operations',
  'is_default_template',
  'memory_target',
  'attached_PCIs',
  'VGPUs',
]);

export function cloneVmFields(source: XRecord, newName: string): XRecord {
  const copy: XRecord = {};
  for (const [k, v] of Object.entries(source)) if (!notCopied.has(k)) copy[k] = structuredClone(v);
  const other = { ...(copy.other_config as Record<string, string>) };
  // xapi: fresh mac_seed, drop default_template, remember which template this came from.
  other.mac_seed = newUuid();
  delete other.default_template;
  if (source.is_a_template === true && !other.base_template_name) other.base_template_name = scalar(source.name_label);
  copy.other_config = other;
  copy.name_label = newName;
  copy.power_state = 'Halted';
  return copy;
}
