// VIF and network constructors/destructors and VIF hotplug.
import type { XRecord } from '../datamodel/defaults.js';
import { createVif } from '../domain/vifs.js';
import { assertDeviceOperation, refreshDeviceOperations } from '../domain/device-lifecycle.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';

// xapi_vif_helpers.ml assert_operation_valid decides (running VM, hotplug support); unplug_force checks as unplug.
function plugVif(ctx: CallContext, attach: boolean): string {
  const ref = argStr(ctx, 0);
  ctx.sim.store.mustGet('VIF', ref);
  assertDeviceOperation(ctx.sim, 'VIF', ref, attach ? 'plug' : 'unplug');
  ctx.sim.store.update('VIF', ref, { currently_attached: attach });
  refreshDeviceOperations(ctx.sim, 'VIF', ref);
  return '';
}

// Auto-named bridges are xapi0, xapi1, ... (first free), as xapi names them.
function freeBridge(ctx: CallContext): string {
  const used = new Set(ctx.sim.store.all('network').map(([, n]) => n.bridge));
  let i = 0;
  while (used.has(`xapi${i}`)) i++;
  return `xapi${i}`;
}

export const networkHandlers: HandlerTable = {
  'VIF.create': (ctx) => createVif(ctx.sim, ctx.args[0] as XRecord),
  'VIF.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    const vif = ctx.sim.store.mustGet('VIF', ref);
    // xapi_vif_helpers.ml destroy
    if (vif.currently_attached === true && ctx.sim.store.get('VM', String(vif.VM))?.power_state === 'Running') fail('OPERATION_NOT_ALLOWED', 'VIF currently attached to a running VM');
    ctx.sim.store.destroy('VIF', ref);
    return '';
  },
  'VIF.plug': (ctx) => plugVif(ctx, true),
  'VIF.unplug': (ctx) => plugVif(ctx, false),
  'VIF.unplug_force': (ctx) => plugVif(ctx, false),
  'network.create': (ctx) => {
    const values = { ...(ctx.args[0] as XRecord) };
    const bridge = String(values.bridge ?? '');
    if (bridge && ctx.sim.store.all('network').some(([, n]) => n.bridge === bridge)) fail('BRIDGE_NAME_EXISTS', bridge);
    if (bridge.length > 15) fail('INVALID_VALUE', 'bridge', bridge);
    const mtu = Number(values.MTU ?? 0) > 0 ? Number(values.MTU) : 1500;
    return ctx.sim.store.create('network', { managed: true, ...values, bridge: bridge || freeBridge(ctx), MTU: mtu });
  },
  'network.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    const net = ctx.sim.store.mustGet('network', ref);
    const vifs = (net.VIFs as string[]).filter((r) => ctx.sim.store.get('VIF', r));
    if (vifs.length > 0) fail('NETWORK_CONTAINS_VIF', ...vifs);
    const pifs = (net.PIFs as string[]).filter((r) => ctx.sim.store.get('PIF', r));
    if (pifs.length > 0) fail('NETWORK_CONTAINS_PIF', ...pifs);
    ctx.sim.store.destroy('network', ref);
    return '';
  },
};
