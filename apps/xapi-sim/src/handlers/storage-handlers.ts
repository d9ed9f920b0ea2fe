// VDI and VBD constructors/destructors, with SR space and attachment rules (hot-plug: vbd-handlers.ts).
import type { XRecord } from '../datamodel/defaults.js';
import { assertSrSpace, createVbd, createVdi, destroyVdi } from '../domain/disks.js';
import { assertVdiOperation, isThinSr } from '../domain/vdi-rules.js';
import { argNum, argStr, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import { scalar } from '../datamodel/defaults.js';

export const storageHandlers: HandlerTable = {
  'VDI.create': (ctx) => createVdi(ctx.sim, ctx.args[0] as XRecord),
  'VDI.destroy': (ctx) => (destroyVdi(ctx.sim, argStr(ctx, 0)), ''),
  'VDI.resize': (ctx) => {
    const ref = argStr(ctx, 0);
    // xapi_vdi.ml check_operation_error: only snapshot, clone, resize_online and blocked run on an attached disk.
    const vdi = assertVdiOperation(ctx.sim, ref, 'resize');
    const grow = argNum(ctx, 1) - Number(vdi.virtual_size);
    if (grow < 0) fail('VDI_SIZE_SMALLER', ref);
    const sr = ctx.sim.store.mustGet('SR', scalar(vdi.SR));
    const thin = isThinSr(sr); // a thin disk grows in name only
    assertSrSpace(ctx.sim, scalar(vdi.SR), thin ? 0 : grow);
    ctx.sim.store.update('SR', scalar(vdi.SR), {
      physical_utilisation: Number(sr.physical_utilisation) + (thin ? 0 : grow),
      virtual_allocation: Number(sr.virtual_allocation) + grow,
    });
    ctx.sim.store.update('VDI', ref, { virtual_size: argNum(ctx, 1), ...(thin ? {} : { physical_utilisation: argNum(ctx, 1) }) });
    return '';
  },
  'VBD.create': (ctx) => createVbd(ctx.sim, ctx.args[0] as XRecord),
  // xapi_vbd_helpers.ml destroy: "force the user to unplug first"
  'VBD.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    const vbd = ctx.sim.store.mustGet('VBD', ref);
    if (vbd.currently_attached === true || vbd.reserved === true) {
      fail('OPERATION_NOT_ALLOWED', `VBD '${scalar(vbd.uuid)}' still attached to '${scalar(ctx.sim.store.get('VM', scalar(vbd.VM))?.uuid ?? '')}'`);
    }
    ctx.sim.store.destroy('VBD', ref);
    return '';
  },
};
