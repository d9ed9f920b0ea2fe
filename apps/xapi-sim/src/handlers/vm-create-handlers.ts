// VM.clone/copy/provision/destroy/create and template flag changes.
import type { XRecord } from '../datamodel/defaults.js';
import { provisionVm } from '../domain/provision.js';
import { destroyVmRecords, duplicateVm } from '../domain/vm-copy.js';
import { createVm } from '../domain/vm-factory.js';
import { rebaseChildren } from '../domain/vm-snapshot.js';
import { refreshAllowedOperations } from '../domain/vm-state.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { isNullRef, newUuid } from '../util/ids.js';
import { runVmOp } from './vm-op.js';

// Control domains, templates and power states are refused by xapi's operation checks (vm-lifecycle.ts).
function vmArg(ctx: CallContext): string {
  const vmRef = argStr(ctx, 0);
  ctx.sim.store.mustGet('VM', vmRef);
  return vmRef;
}

export const vmCreateHandlers: HandlerTable = {
  'VM.clone': {
    ownDelay: true,
    fn: (ctx) => runVmOp(ctx, vmArg(ctx), 'clone', { apply: () => duplicateVm(ctx.sim, argStr(ctx, 0), argStr(ctx, 1)) }),
  },
  'VM.copy': {
    ownDelay: true,
    fn: (ctx) => {
      const sr = argStr(ctx, 2);
      // A null or unknown SR keeps each disk on its own SR, as xapi does.
      const target = !isNullRef(sr) && ctx.sim.store.get('SR', sr) ? sr : undefined;
      return runVmOp(ctx, vmArg(ctx), 'copy', { apply: () => duplicateVm(ctx.sim, argStr(ctx, 0), argStr(ctx, 1), target) });
    },
  },
  'VM.provision': {
    ownDelay: true,
    fn: (ctx) => runVmOp(ctx, vmArg(ctx), 'provision', { apply: () => (provisionVm(ctx.sim, argStr(ctx, 0)), '') }),
  },
  'VM.destroy': {
    ownDelay: true,
    fn: (ctx) =>
      runVmOp(ctx, vmArg(ctx), 'destroy', {
        apply: () => (rebaseChildren(ctx.sim, argStr(ctx, 0)), destroyVmRecords(ctx.sim, argStr(ctx, 0)), ''),
      }),
  },
  'VM.create': (ctx) => {
    const values = { ...(ctx.args[0] as XRecord) };
    const other = { ...((values.other_config ?? {}) as Record<string, string>) };
    other.mac_seed ??= newUuid();
    return createVm(ctx.sim, { ...values, other_config: other, power_state: 'Halted', resident_on: 'OpaqueRef:NULL' });
  },
  // message_forwarding.ml set_is_a_template: true runs as the make_into_template operation, false is a plain set.
  'VM.set_is_a_template': {
    ownDelay: true,
    fn: async (ctx) => {
      const vmRef = vmArg(ctx);
      const value = ctx.args[1] === true;
      const set = () => {
        ctx.sim.store.update('VM', vmRef, { is_a_template: value, ...(value ? {} : { is_default_template: false }) });
        return '';
      };
      if (value) return runVmOp(ctx, vmRef, 'make_into_template', { apply: set });
      await ctx.delay();
      set();
      refreshAllowedOperations(ctx.sim, vmRef);
      return '';
    },
  },
};
