// VM.clone/copy/provision/destroy/create and template flag changes.
import type { XRecord } from '../datamodel/defaults.js';
import { provisionVm } from '../domain/provision.js';
import { destroyVmRecords, duplicateVm } from '../domain/vm-copy.js';
import { createVm } from '../domain/vm-factory.js';
import { rebaseChildren } from '../domain/vm-snapshot.js';
import { assertPowerState, assertSnapshotRules, refreshAllowedOperations } from '../domain/vm-state.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import { isNullRef, newUuid } from '../util/ids.js';
import { runVmOp } from './vm-op.js';

function notDom0(ctx: CallContext): string {
  const vmRef = argStr(ctx, 0);
  if (ctx.sim.store.mustGet('VM', vmRef).is_control_domain === true) fail('OPERATION_NOT_ALLOWED', 'Not allowed on a control domain');
  return vmRef;
}

export const vmCreateHandlers: HandlerTable = {
  'VM.clone': {
    ownDelay: true,
    fn: (ctx) => runVmOp(ctx, notDom0(ctx), 'clone', { apply: () => duplicateVm(ctx.sim, argStr(ctx, 0), argStr(ctx, 1)) }),
  },
  'VM.copy': {
    ownDelay: true,
    fn: (ctx) => {
      const sr = argStr(ctx, 2);
      // A null or unknown SR keeps each disk on its own SR, as xapi does.
      const target = !isNullRef(sr) && ctx.sim.store.get('SR', sr) ? sr : undefined;
      return runVmOp(ctx, notDom0(ctx), 'copy', { apply: () => duplicateVm(ctx.sim, argStr(ctx, 0), argStr(ctx, 1), target) });
    },
  },
  'VM.provision': {
    ownDelay: true,
    fn: (ctx) => runVmOp(ctx, notDom0(ctx), 'provision', { apply: () => (provisionVm(ctx.sim, argStr(ctx, 0)), '') }),
  },
  'VM.destroy': {
    ownDelay: true,
    fn: (ctx) => runVmOp(ctx, notDom0(ctx), 'destroy', {
      prepare: () => assertSnapshotRules(argStr(ctx, 0), ctx.sim.store.mustGet('VM', argStr(ctx, 0)), 'destroy'),
      apply: () => (rebaseChildren(ctx.sim, argStr(ctx, 0)), destroyVmRecords(ctx.sim, argStr(ctx, 0)), ''),
    }),
  },
  'VM.create': (ctx) => {
    const values = { ...(ctx.args[0] as XRecord) };
    const other = { ...((values.other_config ?? {}) as Record<string, string>) };
    other.mac_seed ??= newUuid();
    return createVm(ctx.sim, { ...values, other_config: other, power_state: 'Halted', resident_on: 'OpaqueRef:NULL' });
  },
  'VM.set_is_a_template': (ctx) => {
    const vmRef = notDom0(ctx);
    const vm = ctx.sim.store.mustGet('VM', vmRef);
    if (ctx.args[1] === true) assertPowerState(vmRef, vm, 'make_into_template');
    ctx.sim.store.update('VM', vmRef, { is_a_template: ctx.args[1] === true, ...(ctx.args[1] === true ? {} : { is_default_template: false }) });
    refreshAllowedOperations(ctx.sim, vmRef);
    return '';
  },
};
