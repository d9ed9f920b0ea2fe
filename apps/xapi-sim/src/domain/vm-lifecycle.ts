// Which VM operations are valid now, as xapi decides (ocaml/xapi/xapi_vm_lifecycle.ml check_operation_error):
// the first error found, or undefined; allowed_operations is every allowable op that has none (strict).
import type { XRecord } from '../datamodel/defaults.js';
import type { SimState } from '../sim/sim-state.js';
import { isNullRef } from '../util/ids.js';
import { scalar } from '../datamodel/defaults.js';

export type PowerState = 'Halted' | 'Running' | 'Paused' | 'Suspended';
export type OpError = [string, ...string[]];

const H: PowerState = 'Halted',
  R: PowerState = 'Running',
  P: PowerState = 'Paused',
  S: PowerState = 'Suspended';
const all: PowerState[] = [H, P, S, R];

// allowed_power_states, in xapi's order (VM_BAD_POWER_STATE lists them so).
function allowedPowerStates(sim: SimState, vm: XRecord, op: string): PowerState[] {
  switch (op) {
    case 'import':
      return [];
    case 'changing_VCPUs':
    case 'changing_static_range':
    case 'changing_memory_limits':
      return vm.is_control_domain === true ? [H, R] : [H];
    case 'changing_shadow_memory':
    case 'changing_NVRAM':
    case 'make_into_template':
    case 'provision':
    case 'start':
    case 'start_on':
    case 'create_vtpm':
      return [H];
    case 'unpause':
      return [P];
    case 'csvm':
    case 'resume':
    case 'resume_on':
      return [S];
    case 'awaiting_memory_live':
    case 'call_plugin':
    case 'clean_reboot':
    case 'clean_shutdown':
    case 'changing_memory_live':
    case 'changing_shadow_memory_live':
    case 'changing_VCPUs_live':
    case 'data_source_op':
    case 'pause':
    case 'pool_migrate':
    case 'send_sysrq':
    case 'send_trigger':
    case 'snapshot_with_quiesce':
    case 'sysprep':
    case 'suspend':
      return [R];
    case 'changing_dynamic_range':
      return [H, R];
    case 'clone':
    case 'copy':
      return vm.is_a_snapshot === true || cloneSuspendedEnabled(sim) ? [H, S] : [H];
    case 'create_template':
    case 'destroy':
    case 'export':
      return [H, S];
    case 'hard_reboot':
      return [P, R];
    case 'checkpoint':
    case 'get_boot_record':
    case 'shutdown':
    case 'hard_shutdown':
      return [P, S, R];
    case 'migrate_send':
      return [H, S, R];
    default:
      return all; // assert_operation_valid, metadata_export, power_state_reset, revert, reverting, snapshot, ...
  }
}

function cloneSuspendedEnabled(sim: SimState): boolean {
  const pool = sim.poolRef ? sim.store.get('pool', sim.poolRef) : undefined;
  return (pool?.other_config as Record<string, string> | undefined)?.allow_clone_suspended_vm === 'true';
}

// is_allowed_concurrently
function allowedConcurrently(op: string, current: string[]): boolean {
  const within = (ops: string[]) => ops.includes(op) && current.every((o) => ops.includes(o));
  if (within(['clone', 'copy', 'export']) || within(['snapshot', 'checkpoint']) || within(['get_boot_record'])) return true;
  if (op === 'hard_shutdown') return !current.includes(op);
  if (op === 'hard_reboot') return !current.some((o) => o === 'hard_shutdown' || o === 'hard_reboot');
  const pairs: Array<[string, string]> = [
    ['snapshot_with_quiesce', 'snapshot'],
    ['migrate_send', 'metadata_export'],
    ['migrate_send', 'clean_shutdown'],
    ['migrate_send', 'clean_reboot'],
  ];
  return pairs.some(([state, transition]) => current.length === 1 && current[0] === state && transition === op);
}

const templateOps = [
  'changing_dynamic_range',
  'changing_static_range',
  'changing_memory_limits',
  'changing_shadow_memory',
  'changing_VCPUs',
  'changing_NVRAM',
  'clone',
  'copy',
  'export',
  'metadata_export',
  'provision',
];
const snapshotOps = ['revert', 'clone', 'copy', 'export', 'destroy', 'hard_shutdown', 'metadata_export'];
// control domains may only do these (besides dom0's own exclusions)
const controlDomainOps = [
  'data_source_op',
  'changing_memory_live',
  'awaiting_memory_live',
  'metadata_export',
  'changing_dynamic_range',
  'changing_memory_limits',
  'changing_static_range',
  'start',
  'start_on',
  'changing_VCPUs',
  'destroy',
];
const mobilityOps = ['suspend', 'checkpoint', 'pool_migrate', 'migrate_send'];

const truthy = (v: unknown) => v === '1' || (typeof v === 'string' && v.toLowerCase() === 'true');
const refs = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);

// check_op_for_feature: a live HVM guest without PV drivers needs the feature flags its guest agent reports.
function featureError(sim: SimState, vmRef: string, vm: XRecord, op: string, strict: boolean): OpError | undefined {
  const live = vm.power_state === 'Running' || vm.power_state === 'Paused';
  const metrics = sim.store.get('VM_metrics', scalar(vm.metrics));
  const guest = sim.store.get('VM_guest_metrics', scalar(vm.guest_metrics));
  const other = (guest?.other ?? {}) as Record<string, string>;
  const version = (guest?.PV_drivers_version ?? {}) as Record<string, string>;
  const pvBooted = ['pv', 'pv_in_pvh', 'pvh'].includes(scalar(metrics?.current_domain_type ?? ''));
  const pvDrivers = guest !== undefined && /^\d+$/.test(version.major ?? '') && /^\d+$/.test(version.minor ?? '');
  const implicit = !live || pvBooted || pvDrivers;
  const lacks = (f: string) => other[f] !== '1';
  if (mobilityOps.includes(op) && live) {
    if (other['data-cant-suspend-reason'] !== undefined) return ['VM_NON_SUSPENDABLE', vmRef, other['data-cant-suspend-reason']];
    return !implicit && strict && lacks('feature-suspend') ? ['VM_LACKS_FEATURE', vmRef] : undefined;
  }
  if (implicit) return undefined;
  if (op === 'clean_shutdown' && strict && lacks('feature-shutdown') && lacks('feature-poweroff')) return ['VM_LACKS_FEATURE', vmRef];
  if (op === 'clean_reboot' && strict && lacks('feature-shutdown') && lacks('feature-reboot')) return ['VM_LACKS_FEATURE', vmRef];
  if (op === 'changing_VCPUs_live' && lacks('feature-vcpu-hotplug')) return ['VM_LACKS_FEATURE', vmRef];
  return undefined;
}

function platformFlag(sim: SimState, vm: XRecord, key: 'nomigrate' | 'nested_virt'): boolean {
  const metrics = sim.store.get('VM_metrics', scalar(vm.metrics));
  if (metrics && key in metrics) return metrics[key] === true;
  return truthy((vm.platform as Record<string, string> | undefined)?.[key === 'nested_virt' ? 'nested-virt' : key]);
}

export function vmOperationError(sim: SimState, vmRef: string, vm: XRecord, op: string, strict: boolean): OpError | undefined {
  const state = vm.power_state as PowerState;
  const current = Object.entries((vm.current_operations ?? {}) as Record<string, string>);
  const isTemplate = vm.is_a_template === true,
    isSnapshot = vm.is_a_snapshot === true;
  const blocked = ((vm.blocked_operations ?? {}) as Record<string, string>)[op];
  if (blocked !== undefined) return ['OPERATION_BLOCKED', vmRef, blocked];
  const expected = allowedPowerStates(sim, vm, op);
  if (!expected.includes(state)) return ['VM_BAD_POWER_STATE', vmRef, expected.map((s) => s.toLowerCase()).join(', '), state.toLowerCase()];
  if (
    current.length > 0 &&
    !allowedConcurrently(
      op,
      current.map(([, o]) => o),
    )
  ) {
    const [ref, o] = current.length === 1 ? current[0] : [`{${current.map(([r]) => r).join(',')}}`, `{${current.map(([, x]) => x).join(',')}}`];
    return ['OTHER_OPERATION_IN_PROGRESS', 'VM', vmRef, o, ref];
  }
  if (isTemplate && !isSnapshot) {
    const defaultTemplate = vm.is_default_template === true || truthy((vm.other_config as Record<string, string>).default_template);
    if (!templateOps.includes(op) && !((op === 'destroy' || op === 'migrate_send') && !defaultTemplate)) return ['VM_IS_TEMPLATE', vmRef, op];
  }
  if (isSnapshot && !snapshotOps.includes(op)) return ['VM_IS_SNAPSHOT', vmRef, op];
  if (op === 'provision' && !isTemplate) return ['ONLY_PROVISION_TEMPLATE'];
  if (op === 'revert' && !isSnapshot) return ['ONLY_REVERT_SNAPSHOT'];
  const mobile = (!platformFlag(sim, vm, 'nomigrate') && !platformFlag(sim, vm, 'nested_virt')) || !strict;
  if (mobilityOps.includes(op) && !mobile) return ['VM_IS_IMMOBILE', vmRef];
  if (op === 'changing_dynamic_range' && strict && platformFlag(sim, vm, 'nested_virt')) return ['VM_IS_USING_NESTED_VIRT', vmRef];
  const domainZero = vm.is_control_domain === true && Number(vm.domid) === 0;
  if ((op === 'changing_VCPUs' || op === 'destroy') && domainZero) return ['OPERATION_NOT_ALLOWED', 'This operation is not allowed on dom0'];
  if (vm.is_control_domain === true && !controlDomainOps.includes(op))
    return ['OPERATION_NOT_ALLOWED', 'This operation is not allowed on a control domain'];
  const feature = featureError(sim, vmRef, vm, op, strict);
  if (feature) return feature;
  if (op === 'snapshot_with_quiesce') return ['VM_SNAPSHOT_WITH_QUIESCE_NOT_SUPPORTED', vmRef];
  const smConfigs = refs(vm.VBDs)
    .map((r) => sim.store.get('VBD', r))
    .map((vbd) => (vbd && !isNullRef(vbd.VDI) ? sim.store.get('VDI', scalar(vbd.VDI)) : undefined))
    .filter((v): v is XRecord => v !== undefined)
    .map((vdi) => (vdi.sm_config ?? {}) as Record<string, string>);
  if (['checkpoint', 'snapshot', 'suspend'].includes(op) && smConfigs.some((c) => c.on_boot === 'reset'))
    return ['VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION'];
  if (op === 'pool_migrate' && smConfigs.some((c) => c.on_boot === 'reset' && truthy(c.caching)))
    return ['VDI_ON_BOOT_MODE_INCOMPATIBLE_WITH_OPERATION'];
  if (mobilityOps.includes(op) && refs(vm.attached_PCIs).length > 0) return ['VM_HAS_PCI_ATTACHED', vmRef];
  if (refs(vm.VGPUs).length > 0 && !(op === 'migrate_send' && state === H) && !(op === 'checkpoint' && state === S) && mobilityOps.includes(op))
    return ['VM_HAS_VGPU', vmRef];
  if ([...mobilityOps, 'snapshot'].includes(op) && refs(vm.VUSBs).length > 0) return ['VM_HAS_VUSBS', vmRef];
  if (op === 'make_into_template') {
    for (const [field, code] of [
      ['appliance', 'VM_IS_PART_OF_AN_APPLIANCE'],
      ['protection_policy', 'VM_ASSIGNED_TO_PROTECTION_POLICY'],
      ['snapshot_schedule', 'VM_ASSIGNED_TO_SNAPSHOT_SCHEDULE'],
    ] as const) {
      if (!isNullRef(vm[field])) return [code, vmRef, scalar(vm[field])];
    }
  }
  if (op === 'query_services' && !truthy((vm.other_config as Record<string, string>).is_system_domain)) return ['NOT_SYSTEM_DOMAIN', vmRef];
  if (op === 'create_vtpm' && refs(vm.VTPMs).length > 0) return ['VTPM_MAX_AMOUNT_REACHED', String(refs(vm.VTPMs).length)];
  return undefined;
}

// update_allowed_operations: vm_operations minus ignored_ops, folded (so reversed) into the list.
const ignoredOps = new Set([
  'create_template',
  'power_state_reset',
  'csvm',
  'get_boot_record',
  'send_sysrq',
  'send_trigger',
  'query_services',
  'shutdown',
  'call_plugin',
  'changing_memory_live',
  'awaiting_memory_live',
  'changing_memory_limits',
  'changing_shadow_memory_live',
  'changing_VCPUs',
  'assert_operation_valid',
  'data_source_op',
  'update_allowed_operations',
  'import',
  'reverting',
]);

export function computeAllowedOperations(sim: SimState, vmRef: string, vm: XRecord): string[] {
  const ops = (sim.dm.enums.get('vm_operations') ?? []).filter((op) => !ignoredOps.has(op));
  return ops.filter((op) => vmOperationError(sim, vmRef, vm, op, true) === undefined).reverse();
}
