// host.* calls the control plane uses for placement and capacity.
import { hostFreeMemory, refreshHostMetrics } from '../domain/host-memory.js';
import { argStr, type HandlerTable } from '../rpc/handler-types.js';
import { nowXapiDate } from '../util/xapi-time.js';

export const hostHandlers: HandlerTable = {
  'host.compute_free_memory': (ctx) => hostFreeMemory(ctx.sim, argStr(ctx, 0)),
  'host.compute_memory_overhead': (ctx) => (ctx.sim.store.mustGet('host', argStr(ctx, 0)), 0),
  'host.get_servertime': () => nowXapiDate(),
  'host.get_server_localtime': () => nowXapiDate(),
  'host.disable': (ctx) => (ctx.sim.store.update('host', argStr(ctx, 0), { enabled: false }), ''),
  'host.enable': (ctx) => {
    ctx.sim.store.update('host', argStr(ctx, 0), { enabled: true });
    refreshHostMetrics(ctx.sim, argStr(ctx, 0));
    return '';
  },
};
