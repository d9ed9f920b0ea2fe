// VDI and VBD constructors/destructors and hotplug, with SR space and attachment rules.
import type { XRecord } from '../datamodel/defaults.js';
import { assertSrSpace, createVbd, createVdi, destroyVdi, vbdDeviceName } from '../domain/disks.js';
import { assertDeviceOperation, refreshDeviceOperations } from '../domain/device-lifecycle.js';
import { argNum, argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

// xapi_vbd_helpers.ml assert_operation_valid decides (running VM, unpluggable, hotplug support, sharing).
function plugVbd(ctx: CallContext, op: 'plug' | 'unplug' | 'unplug_force'): string {
  const ref = argStr(ctx, 0);
  const vbd = ctx.sim.store.mustGet('VBD', ref);
  assertDeviceOperation(ctx.sim, 'VBD', ref, op);
  const attach = op === 'plug';
  ctx.sim.store.update('VBD', ref, { currently_attached: attach, ...(attach ? { device: vbdDeviceName(String(vbd.userdevice)) } : {}) });
  refreshDeviceOperations(ctx.sim, 'VBD', ref);
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
  // xapi_vbd_helpers.ml destroy: "force the user to unplug first"
  'VBD.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    const vbd = ctx.sim.store.mustGet('VBD', ref);
    if (vbd.currently_attached === true || vbd.reserved === true) {
      fail('OPERATION_NOT_ALLOWED', `VBD '${String(vbd.uuid)}' still attached to '${String(ctx.sim.store.get('VM', String(vbd.VM))?.uuid ?? '')}'`);
    }
    ctx.sim.store.destroy('VBD', ref);
    return '';
  },
  'VBD.plug': (ctx) => plugVbd(ctx, 'plug'),
  'VBD.unplug': (ctx) => plugVbd(ctx, 'unplug'),
  'VBD.unplug_force': (ctx) => plugVbd(ctx, 'unplug_force'),
};
