// host.* calls the control plane uses for placement and capacity.
import { hostFreeMemory } from '../domain/host-memory.js';
import { argStr, type HandlerTable } from '../rpc/handler-types.js';
import { nowXapiDate } from '../util/xapi-time.js';

export const hostHandlers: HandlerTable = {
  'host.compute_free_memory': (ctx) => hostFreeMemory(ctx.sim, argStr(ctx, 0)),
  'host.compute_memory_overhead': (ctx) => (ctx.sim.store.mustGet('host', argStr(ctx, 0)), 0),
  'host.get_servertime': () => nowXapiDate(),
  'host.get_server_localtime': () => nowXapiDate(),
};
