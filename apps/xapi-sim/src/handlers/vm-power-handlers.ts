// VM.start/start_on/shutdown/reboot/suspend/resume/pause: the power-state machine over the wire.
import type { Value } from '../datamodel/defaults.js';
import { pickHost, vmStartMemory } from '../domain/host-memory.js';
import { bootVm, rebootVm, setPaused, stopVm } from '../domain/vm-power.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { NULL_REF } from '../util/ids.js';
import { runVmOp } from './vm-op.js';

// Boots a Halted (start) or Suspended (resume) VM, reserving host memory for the whole operation.
function boot(ctx: CallContext, op: string, hostRef: string | undefined, paused: boolean): Promise<Value> {
  const { sim } = ctx;
  const vmRef = argStr(ctx, 0);
  const vm = sim.store.mustGet('VM', vmRef);
  return runVmOp(ctx, vmRef, op, {
    prepare: () => {
      const host = pickHost(sim, vmStartMemory(vm), hostRef);
      sim.store.update('VM', vmRef, { scheduled_to_be_resident_on: host });
      return host;
    },
    apply: (host) => (bootVm(sim, vmRef, host, paused), ''),
    rollback: () => {
      if (sim.store.get('VM', vmRef)) sim.store.update('VM', vmRef, { scheduled_to_be_resident_on: NULL_REF });
    },
  });
}

// message_forwarding.ml: hard_shutdown and hard_reboot first cancel these operations in progress.
const cancelledBy: Record<string, string[]> = {
  hard_shutdown: ['clean_shutdown', 'clean_reboot', 'hard_reboot', 'pool_migrate', 'call_plugin', 'shutdown', 'suspend'],
  hard_reboot: ['clean_shutdown', 'clean_reboot', 'pool_migrate', 'call_plugin', 'suspend'],
};

// The checks (power state, template, control domain, ...) are xapi's, in vm-lifecycle.ts.
function simple(op: string, apply: (ctx: CallContext, vmRef: string) => void) {
  return {
    ownDelay: true,
    fn: (ctx: CallContext) => {
      const vmRef = argStr(ctx, 0);
      ctx.sim.store.mustGet('VM', vmRef);
      return runVmOp(ctx, vmRef, op, { cancels: cancelledBy[op], apply: () => (apply(ctx, vmRef), '') });
    },
  };
}

export const vmPowerHandlers: HandlerTable = {
  'VM.start': { ownDelay: true, fn: (ctx) => boot(ctx, 'start', undefined, ctx.args[1] === true) },
  'VM.start_on': { ownDelay: true, fn: (ctx) => boot(ctx, 'start_on', argStr(ctx, 1), ctx.args[2] === true) },
  'VM.resume': { ownDelay: true, fn: (ctx) => boot(ctx, 'resume', undefined, ctx.args[1] === true) },
  'VM.resume_on': { ownDelay: true, fn: (ctx) => boot(ctx, 'resume_on', argStr(ctx, 1), ctx.args[2] === true) },
  'VM.clean_shutdown': simple('clean_shutdown', (ctx, vm) => stopVm(ctx.sim, vm, 'Halted')),
  'VM.hard_shutdown': simple('hard_shutdown', (ctx, vm) => stopVm(ctx.sim, vm, 'Halted')),
  'VM.shutdown': simple('shutdown', (ctx, vm) => stopVm(ctx.sim, vm, 'Halted')),
  'VM.clean_reboot': simple('clean_reboot', (ctx, vm) => rebootVm(ctx.sim, vm)),
  'VM.hard_reboot': simple('hard_reboot', (ctx, vm) => rebootVm(ctx.sim, vm)),
  'VM.suspend': simple('suspend', (ctx, vm) => stopVm(ctx.sim, vm, 'Suspended')),
  'VM.pause': simple('pause', (ctx, vm) => setPaused(ctx.sim, vm, true)),
  'VM.unpause': simple('unpause', (ctx, vm) => setPaused(ctx.sim, vm, false)),
};
