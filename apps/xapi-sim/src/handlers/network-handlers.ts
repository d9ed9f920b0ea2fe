// VIF and network constructors/destructors (VIF hot-plug: vbd-handlers.ts).
import type { XRecord } from '../datamodel/defaults.js';
import { createVif } from '../domain/vifs.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { fail } from '../rpc/xapi-error.js';
import { scalar } from '../datamodel/defaults.js';

// xapi_network.ml choose_bridge_name: "xapi" + a counter that only grows (per process), skipping names in use.
const bridgeCounter = new WeakMap<object, number>();
function freeBridge(ctx: CallContext): string {
  const used = new Set(ctx.sim.store.all('network').map(([, n]) => n.bridge));
  for (let i = bridgeCounter.get(ctx.sim) ?? 0; ; i++) {
    if (used.has(`xapi${i}`)) continue;
    bridgeCounter.set(ctx.sim, i + 1);
    return `xapi${i}`;
  }
}

const bridgeBlacklist = ['xen', 'xapi', 'vif', 'tap', 'eth'];

export const networkHandlers: HandlerTable = {
  'VIF.create': (ctx) => createVif(ctx.sim, ctx.args[0] as XRecord),
  'VIF.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    const vif = ctx.sim.store.mustGet('VIF', ref);
    // xapi_vif_helpers.ml destroy
    if (vif.currently_attached === true && ctx.sim.store.get('VM', scalar(vif.VM))?.power_state === 'Running')
      fail('OPERATION_NOT_ALLOWED', 'VIF currently attached to a running VM');
    ctx.sim.store.destroy('VIF', ref);
    return '';
  },
  'network.create': (ctx) => {
    const values = { ...(ctx.args[0] as XRecord) };
    const bridge = scalar(values.bridge ?? '');
    // xapi_network.ml create: a given bridge name is checked for length and reserved prefixes, then uniqueness
    if (bridge && (bridge.length > 15 || bridgeBlacklist.some((p) => bridge.startsWith(p)))) fail('INVALID_VALUE', 'bridge', bridge);
    if (bridge && ctx.sim.store.all('network').some(([, n]) => n.bridge === bridge)) fail('BRIDGE_NAME_EXISTS', bridge);
    const mtu = Number(values.MTU ?? 0) > 0 ? Number(values.MTU) : 1500;
    return ctx.sim.store.create('network', { managed: true, ...values, bridge: bridge || freeBridge(ctx), MTU: mtu });
  },
  // xapi_network.ml destroy: only attached (or reserved) VIFs block it; the others are destroyed with the network.
  'network.destroy': (ctx) => {
    const { store } = ctx.sim;
    const ref = argStr(ctx, 0);
    const net = store.mustGet('network', ref);
    const vifs = [...(net.VIFs as string[])].filter((r) => store.get('VIF', r));
    const connected = vifs.filter((r) => store.get('VIF', r)!.currently_attached === true || store.get('VIF', r)!.reserved === true);
    if (connected.length > 0) fail('NETWORK_CONTAINS_VIF', ...connected);
    const pifs = (net.PIFs as string[]).filter((r) => store.get('PIF', r));
    if (pifs.length > 0) fail('NETWORK_CONTAINS_PIF', ...pifs);
    if ((net.other_config as Record<string, string>).is_host_internal_management_network === 'true') fail('CANNOT_DESTROY_SYSTEM_NETWORK', ref);
    for (const vif of vifs) store.destroy('VIF', vif);
    store.destroy('network', ref);
    return '';
  },
};
