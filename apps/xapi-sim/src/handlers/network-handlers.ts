// VIF and network constructors/destructors (VIF hot-plug: vbd-handlers.ts).
import type { XRecord } from '../datamodel/defaults.js';
import { createVif } from '../domain/vifs.js';
import { argStr, type CallContext, type HandlerTable } from '../rpc/handler-types.js';
import { refreshVifAllowedOperations } from '../domain/vbd-rules.js';
import { fail } from '../rpc/xapi-error.js';

// Auto-named bridges are xapi0, xapi1, ... (first free), as xapi names them.
function freeBridge(ctx: CallContext): string {
  const used = new Set(ctx.sim.store.all('network').map(([, n]) => n.bridge));
  let i = 0;
  while (used.has(`xapi${i}`)) i++;
  return `xapi${i}`;
}

export const networkHandlers: HandlerTable = {
  'VIF.create': (ctx) => {
    const ref = createVif(ctx.sim, ctx.args[0] as XRecord);
    refreshVifAllowedOperations(ctx.sim, ref);
    return ref;
  },
  'VIF.destroy': (ctx) => {
    const ref = argStr(ctx, 0);
    if (ctx.sim.store.mustGet('VIF', ref).currently_attached === true) fail('OPERATION_NOT_ALLOWED', 'VIF currently attached to a running VM');
    ctx.sim.store.destroy('VIF', ref);
    return '';
  },
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
