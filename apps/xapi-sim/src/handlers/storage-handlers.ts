// VDI and VBD constructors/destructors and hotplug, with SR space and attachment rules.
import type { XRecord } from '../datamodel/defaults.js';
import { assertSrSpace, createVbd, createVdi, destroyVdi, vbdDeviceName } from '../domain/disks.js';
import { assertRunning } from '../domain/vm-state.js';
import { argNum, argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

function plugVbd(ctx: CallContext, attach: boolean): string {
  const ref = argStr(ctx, 0);
  const vbd = ctx.sim.store.mustGet('VBD', ref);
  const vmRef = String(vbd.VM);
  assertRunning(vmRef, ctx.sim.store.mustGet('VM', vmRef)); // hotplug needs a running VM
  if (attach && vbd.currently_attached === true) fail('DEVICE_ALREADY_ATTACHED', ref);
  if (!attach && vbd.currently_attached !== true) fail('DEVICE_ALREADY_DETACHED', ref);
  ctx.sim.store.update('VBD', ref, { currently_attached: attach, ...(attach ? { device: vbdDeviceName(String(vbd.userdevice)) } : {}) });
  return '';
}

export const storageHandlers: HandlerTable = {
  'VDI.create': (ctx) => createVdi(ctx.sim, ctx.args[0] as XRecord),
  'VDI.destroy': (ctx) => (destroyVdi(ctx.sim, argStr(ctx, 0)), ''),
  'VDI.resize': (ctx) => {
    const ref = argStr(ctx, 0);
    const vdi = ctx.sim.store.mustGet('VDI', ref);
    const grow = argNum(ctx, 1) - Number(vdi.virtual_size);
    if (grow < 0) fail('VDI_SIZE_SMALLER', ref);
    assertSrSpace(ctx.sim, String(vdi.SR), grow);
    const sr = ctx.sim.store.mustGet('SR', String(vdi.SR));
    ctx.sim.store.update('SR', String(vdi.SR), { physical_utilisation: Number(sr.physical_utilisation) + grow, virtual_allocation: Number(sr.virtual_allocation) + grow });
    ctx.sim.store.update('VDI', ref, { virtual_size: argNum(ctx, 1), physical_utilisation: argNum(ctx, 1) });
    return '';
  },
  'VBD.create': (ctx) => createVbd(ctx.sim, ctx.args[0] as XRecord),
  'VBD.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    if (ctx.sim.store.mustGet('VBD', ref).currently_attached === true) fail('OPERATION_NOT_ALLOWED', 'VBD currently attached to a running VM');
    ctx.sim.store.destroy('VBD', ref);
    return '';
  },
  'VBD.plug': (ctx) => plugVbd(ctx, true),
  'VBD.unplug': (ctx) => plugVbd(ctx, false),
  'VBD.unplug_force': (ctx) => plugVbd(ctx, false),
};
