// VM memory and vCPU settings with xapi's constraints, and the device-number queries.
import type { XRecord } from '../datamodel/defaults.js';
import { allowedDevices } from '../domain/disks.js';
import { hostFreeMemory, pickHost, refreshHostMetrics, vmStartMemory } from '../domain/host-memory.js';
import { argNum, argStr, type CallContext, type HandlerEntry, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import { runVmOp } from './vm-op.js';
import { scalar } from '../datamodel/defaults.js';

interface Memory {
  memory_static_min: number;
  memory_dynamic_min: number;
  memory_dynamic_max: number;
  memory_static_max: number;
}

const vcpuRule = 'VCPU values must satisfy: 0 < VCPUs_at_startup ≤ VCPUs_max';

function memoryOf(vm: XRecord): Memory {
  const n = (k: keyof Memory) => Number(vm[k]);
  return {
    memory_static_min: n('memory_static_min'),
    memory_dynamic_min: n('memory_dynamic_min'),
    memory_dynamic_max: n('memory_dynamic_max'),
    memory_static_max: n('memory_static_max'),
  };
}

// Applies a memory change under `op`; a running VM's target follows dynamic_max if its host has room.
function setMemory(op: string, patchOf: (ctx: CallContext) => Partial<Memory>): HandlerEntry {
  return {
    ownDelay: true,
    fn: (ctx) => {
      const { sim } = ctx;
      const vmRef = argStr(ctx, 0);
      return runVmOp(ctx, vmRef, op, {
        apply: () => {
          const vm = sim.store.mustGet('VM', vmRef);
          const m = { ...memoryOf(vm), ...patchOf(ctx) };
          assertMemoryValid(sim, vm, m);
          if (vm.power_state !== 'Running') return (sim.store.update('VM', vmRef, { ...m }), '');
          const host = scalar(vm.resident_on);
          const extra = m.memory_dynamic_max - Number(vm.memory_target);
          const free = hostFreeMemory(sim, host);
          if (extra > free) fail('HOST_NOT_ENOUGH_FREE_MEMORY', extra, free);
          sim.store.update('VM', vmRef, { ...m, memory_target: m.memory_dynamic_max });
          sim.store.update('VM_metrics', scalar(vm.metrics), { memory_actual: m.memory_dynamic_max });
          refreshHostMetrics(sim, host);
          return '';
        },
      });
    },
  };
}

// xapi_vm_memory_constraints.ml assert_valid_for_current_context: static_min ≤ dynamic_min ≤ dynamic_max ≤ static_max,
// and pinned at static_max for a control domain or a nested-virt VM.
function assertMemoryValid(sim: CallContext['sim'], vm: XRecord, m: Memory): void {
  const ordered =
    m.memory_static_min <= m.memory_dynamic_min && m.memory_dynamic_min <= m.memory_dynamic_max && m.memory_dynamic_max <= m.memory_static_max;
  const pinned =
    m.memory_static_min <= m.memory_dynamic_min && m.memory_dynamic_min === m.memory_static_max && m.memory_dynamic_max === m.memory_static_max;
  const platform = (vm.platform ?? {}) as Record<string, string>;
  const metrics = sim.store.get('VM_metrics', scalar(vm.metrics));
  const nested =
    metrics && 'nested_virt' in metrics ? metrics.nested_virt === true : ['1', 'true'].includes(String(platform['nested-virt']).toLowerCase());
  const reason = vm.is_control_domain === true ? 'control domain' : nested ? 'nested virt' : undefined;
  if (reason !== undefined && !pinned) fail('MEMORY_CONSTRAINT_VIOLATION_MAXPIN', reason);
  if (reason === undefined && !ordered) fail('MEMORY_CONSTRAINT_VIOLATION_ORDER');
}

function setVcpus(op: string, apply: (ctx: CallContext, vmRef: string, vm: XRecord, n: number) => void): HandlerEntry {
  return {
    ownDelay: true,
    fn: (ctx) => {
      const vmRef = argStr(ctx, 0);
      return runVmOp(ctx, vmRef, op, { apply: () => (apply(ctx, vmRef, ctx.sim.store.mustGet('VM', vmRef), argNum(ctx, 1)), '') });
    },
  };
}

export const vmConfigHandlers: HandlerTable = {
  'VM.set_memory_limits': setMemory('changing_memory_limits', (ctx) => ({
    memory_static_min: argNum(ctx, 1),
    memory_static_max: argNum(ctx, 2),
    memory_dynamic_min: argNum(ctx, 3),
    memory_dynamic_max: argNum(ctx, 4),
  })),
  'VM.set_memory': setMemory('changing_memory_limits', (ctx) => ({
    memory_static_max: argNum(ctx, 1),
    memory_dynamic_min: argNum(ctx, 1),
    memory_dynamic_max: argNum(ctx, 1),
  })),
  'VM.set_memory_static_max': setMemory('changing_static_range', (ctx) => ({ memory_static_max: argNum(ctx, 1) })),
  'VM.set_memory_static_min': setMemory('changing_static_range', (ctx) => ({ memory_static_min: argNum(ctx, 1) })),
  'VM.set_memory_static_range': setMemory('changing_static_range', (ctx) => ({
    memory_static_min: argNum(ctx, 1),
    memory_static_max: argNum(ctx, 2),
  })),
  'VM.set_memory_dynamic_max': setMemory('changing_dynamic_range', (ctx) => ({ memory_dynamic_max: argNum(ctx, 1) })),
  'VM.set_memory_dynamic_min': setMemory('changing_dynamic_range', (ctx) => ({ memory_dynamic_min: argNum(ctx, 1) })),
  'VM.set_memory_dynamic_range': setMemory('changing_dynamic_range', (ctx) => ({
    memory_dynamic_min: argNum(ctx, 1),
    memory_dynamic_max: argNum(ctx, 2),
  })),
  'VM.set_VCPUs_max': setVcpus('changing_VCPUs', (ctx, vmRef, vm, n) => {
    if (n < 1 || n < Number(vm.VCPUs_at_startup)) fail('INVALID_VALUE', vcpuRule, n);
    ctx.sim.store.update('VM', vmRef, { VCPUs_max: n });
  }),
  // xapi_vm.ml set_VCPUs_at_startup: no operation (message_forwarding.ml runs it directly), so any power state.
  'VM.set_VCPUs_at_startup': (ctx) => {
    const vmRef = argStr(ctx, 0);
    const vm = ctx.sim.store.mustGet('VM', vmRef);
    const n = argNum(ctx, 1);
    if (vm.is_control_domain === true && Number(vm.domid) === 0) fail('OPERATION_NOT_ALLOWED', 'set_VCPUs_at_startup is not allowed on dom0');
    if (n < 1 || n > Number(vm.VCPUs_max)) fail('INVALID_VALUE', vcpuRule, n);
    ctx.sim.store.update('VM', vmRef, { VCPUs_at_startup: n });
    return '';
  },
  'VM.set_VCPUs_number_live': setVcpus('changing_VCPUs_live', (ctx, vmRef, vm, n) => {
    if (n < 1 || n > Number(vm.VCPUs_max)) fail('INVALID_VALUE', 'VCPU values must satisfy: 0 < VCPUs ≤ VCPUs_max', n);
    ctx.sim.store.update('VM', vmRef, { VCPUs_at_startup: n });
    ctx.sim.store.update('VM_metrics', scalar(vm.metrics), { VCPUs_number: n });
  }),
  'VM.get_allowed_VBD_devices': (ctx) => allowedDevices(ctx.sim, ctx.sim.store.mustGet('VM', argStr(ctx, 0)), 'VBD'),
  'VM.get_allowed_VIF_devices': (ctx) => allowedDevices(ctx.sim, ctx.sim.store.mustGet('VM', argStr(ctx, 0)), 'VIF'),
  'VM.assert_can_boot_here': (ctx) => {
    const vmRef = argStr(ctx, 0);
    const vm = ctx.sim.store.mustGet('VM', vmRef);
    pickHost(ctx.sim, vmStartMemory(vm), argStr(ctx, 1));
    return '';
  },
  'VM.get_possible_hosts': (ctx) => {
    const vm = ctx.sim.store.mustGet('VM', argStr(ctx, 0));
    return ctx.sim.hostRefs.filter((h) => {
      try {
        return pickHost(ctx.sim, vmStartMemory(vm), h) === h;
      } catch {
        return false;
      }
    });
  },
  'VM.get_boot_record': (ctx) => ctx.sim.store.mustGet('VM', argStr(ctx, 0)),
};
