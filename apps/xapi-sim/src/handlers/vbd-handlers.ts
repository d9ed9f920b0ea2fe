// VBD plug/unplug/insert/eject/set_mode and VIF hot-plug with xapi's checks (ocaml/xapi/xapi_vbd.ml,
// xapi_vbd_helpers.ml, xapi_vif_helpers.ml, xapi_xenops.ml vbd_unplug).
import { vbdDeviceName } from '../domain/disks.js';
import { guestTools } from '../domain/guest-agent.js';
import { assertDeviceOperation, refreshDeviceOperations } from '../domain/device-lifecycle.js';
import { refreshVdiAllowedOperations } from '../domain/vdi-rules.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import type { SimState } from '../sim/sim-state.js';
import { NULL_REF, isNullRef } from '../util/ids.js';
import { scalar } from '../datamodel/defaults.js';

function checkedVbd(ctx: CallContext, op: string) {
  const ref = argStr(ctx, 0);
  const vbd = ctx.sim.store.mustGet('VBD', ref);
  assertDeviceOperation(ctx.sim, 'VBD', ref, op);
  return { ref, vbd, vmRef: scalar(vbd.VM), vm: ctx.sim.store.mustGet('VM', scalar(vbd.VM)) };
}

function refreshVbd(sim: SimState, ref: string, vdis: unknown[]): void {
  refreshDeviceOperations(sim, 'VBD', ref);
  for (const v of vdis) if (!isNullRef(v)) refreshVdiAllowedOperations(sim, String(v));
}

function plug(ctx: CallContext): string {
  const { ref, vbd, vm } = checkedVbd(ctx, 'plug');
  // CA-83260: an HVM guest's disks must be read-write
  if (vm.domain_type === 'hvm' && vbd.type !== 'CD' && vbd.mode === 'RO') fail('DISK_VBD_MUST_BE_READWRITE_FOR_HVM', ref);
  ctx.sim.store.update('VBD', ref, { currently_attached: true, device: vbdDeviceName(scalar(vbd.userdevice)) });
  refreshVbd(ctx.sim, ref, [vbd.VDI]);
  return '';
}

function unplug(ctx: CallContext, force: boolean): string {
  const { ref, vbd, vmRef } = checkedVbd(ctx, force ? 'unplug_force' : 'unplug');
  if (!force && guestTools(ctx.sim, vmRef).refuseDetach) fail('DEVICE_DETACH_REJECTED', 'VBD', ref, '');
  ctx.sim.store.update('VBD', ref, { currently_attached: false });
  refreshVbd(ctx.sim, ref, [vbd.VDI]);
  return '';
}

// assert_ok_to_insert / assert_ok_to_eject, after the operation check of mark_vbd.
function media(ctx: CallContext, insert: boolean): string {
  const { ref, vbd, vmRef, vm } = checkedVbd(ctx, insert ? 'insert' : 'eject');
  if (vm.power_state === 'Suspended') fail('VM_BAD_POWER_STATE', vmRef, 'halted, running', 'suspended');
  if (vbd.type !== 'CD') fail('VBD_NOT_REMOVABLE_MEDIA', ref);
  if (insert && vbd.empty !== true) fail('VBD_NOT_EMPTY', ref);
  if (!insert && vbd.empty === true) fail('VBD_IS_EMPTY', ref);
  const vdiRef = insert ? argStr(ctx, 1) : NULL_REF;
  if (insert && ctx.sim.store.mustGet('VDI', vdiRef).managed !== true) fail('VDI_NOT_MANAGED', vdiRef);
  ctx.sim.store.update('VBD', ref, { VDI: vdiRef, empty: !insert });
  refreshVbd(ctx.sim, ref, [vbd.VDI, vdiRef]);
  return '';
}

// Like xapi (vif-real), the call returns once the VIF's port is on (or off) the host's switch (SIM_NETWORK=ovs).
async function vifPlug(ctx: CallContext, attach: boolean): Promise<string> {
  const ref = argStr(ctx, 0);
  const vif = ctx.sim.store.mustGet('VIF', ref);
  assertDeviceOperation(ctx.sim, 'VIF', ref, attach ? 'plug' : 'unplug'); // unplug_force checks as unplug
  ctx.sim.store.update('VIF', ref, { currently_attached: attach });
  refreshDeviceOperations(ctx.sim, 'VIF', ref);
  await ctx.sim.dataplane?.sync(scalar(vif.VM)).catch((err: Error) => fail('INTERNAL_ERROR', `plugging VIFs: ${err.message}`));
  return '';
}

export const vbdHandlers: HandlerTable = {
  'VBD.plug': plug,
  'VBD.unplug': (ctx) => unplug(ctx, false),
  'VBD.unplug_force': (ctx) => unplug(ctx, true),
  'VBD.insert': (ctx) => media(ctx, true),
  'VBD.eject': (ctx) => media(ctx, false),
  'VBD.set_mode': (ctx) => {
    const ref = argStr(ctx, 0);
    const vmRef = scalar(ctx.sim.store.mustGet('VBD', ref).VM);
    const state = scalar(ctx.sim.store.mustGet('VM', vmRef).power_state);
    if (state !== 'Halted') fail('VM_BAD_POWER_STATE', vmRef, 'halted', state.toLowerCase());
    ctx.sim.store.update('VBD', ref, { mode: argStr(ctx, 1) });
    refreshDeviceOperations(ctx.sim, 'VBD', ref);
    return '';
  },
  'VIF.plug': (ctx) => vifPlug(ctx, true),
  'VIF.unplug': (ctx) => vifPlug(ctx, false),
  'VIF.unplug_force': (ctx) => vifPlug(ctx, false),
};
